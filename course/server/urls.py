from django.urls import path

from course.server import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
]
