from django.urls import path

from course.runner.web import views

urlpatterns = [
    path("tools/function-runner/", views.function_runner_page, name="function_runner"),
    path("tools/function-runner/run", views.run_form, name="function_runner_run"),
    path("api/runner/invoke", views.invoke_api, name="runner_invoke_api"),
]
