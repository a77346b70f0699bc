from django.urls import path

from course.functions.schedules import views

app_name = "schedules"

urlpatterns = [
    path("functions/<int:pk>/schedule", views.schedule_page, name="page"),
    path("functions/<int:pk>/schedule/set", views.schedule_set, name="set"),
    path("functions/<int:pk>/schedule/renew", views.schedule_renew, name="renew"),
    path("functions/<int:pk>/schedule/remove", views.schedule_remove, name="remove"),
    path("api/functions/<int:pk>/schedule", views.api_schedule, name="api"),
    path("api/functions/<int:pk>/schedule/renew", views.api_renew, name="api_renew"),
]
