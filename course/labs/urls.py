from django.urls import path

from course.labs import views

app_name = "labs"

urlpatterns = [
    path("lessons/<slug:slug>/labs/<slug:key>/", views.lab_page, name="lab"),
    path("lessons/<slug:slug>/labs/<slug:key>/check", views.check_form, name="check"),
    path("lessons/<slug:slug>/labs/<slug:key>/draft", views.save_draft, name="draft"),
    path("api/labs/", views.api_list, name="api_list"),
    path("api/labs/<slug:key>/check", views.api_check, name="api_check"),
    path("tools/validate/", views.validate_tool, name="validate"),
    path("api/validate/<slug:kind>", views.api_validate, name="api_validate"),
]
