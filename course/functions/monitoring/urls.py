from django.urls import path

from course.functions.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("functions/<int:pk>/monitor", views.monitor, name="monitor"),
    path("api/functions/<int:pk>/logs", views.api_logs, name="api_logs"),
    path("api/functions/<int:pk>/metrics", views.api_metrics, name="api_metrics"),
]
