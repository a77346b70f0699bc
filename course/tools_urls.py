from django.urls import path

from course import function_runner, tools

urlpatterns = [
    path("tools/lambda-pricing/", tools.lambda_pricing, name="lambda_pricing"),
    path("api/pricing/lambda", tools.lambda_pricing_api, name="lambda_pricing_api"),
    path("tools/function-runner/", function_runner.function_runner_page, name="function_runner"),
    path("tools/function-runner/run", function_runner.run_form, name="function_runner_run"),
    path("api/runner/invoke", function_runner.invoke_api, name="runner_invoke_api"),
]
