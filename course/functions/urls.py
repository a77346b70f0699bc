from django.urls import path

from course.functions import views

app_name = "functions"

urlpatterns = [
    path("functions/", views.function_list, name="list"),
    path("functions/new", views.create, name="create"),
    path("functions/<int:pk>/", views.function_detail, name="detail"),
    path("functions/<int:pk>/versions/<int:number>/", views.version_detail, name="version"),
    path("functions/<int:pk>/save", views.save, name="save"),
    path("functions/<int:pk>/rename", views.rename, name="rename"),
    path("functions/<int:pk>/duplicate", views.duplicate, name="duplicate"),
    path("functions/<int:pk>/delete", views.delete, name="delete"),
    path("functions/<int:pk>/events/", views.event_create, name="event_create"),
    path("functions/<int:pk>/events/<int:event_pk>", views.event_update, name="event_update"),
    path("functions/<int:pk>/invoke", views.invoke_form, name="invoke"),
    path("functions/<int:pk>/tuning", views.tuning_page, name="tuning"),
    path("tools/function-runner/draft", views.save_draft, name="draft"),
    path("api/functions/", views.api_functions, name="api_list"),
    path("api/functions/<int:pk>", views.api_function, name="api_detail"),
    path("api/functions/<int:pk>/invoke", views.api_invoke, name="api_invoke"),
    path("api/functions/<int:pk>/tune", views.api_tune, name="api_tune"),
]
