from django.urls import path

from course import tools

urlpatterns = [
    path("tools/lambda-pricing/", tools.lambda_pricing, name="lambda_pricing"),
    path("api/pricing/lambda", tools.lambda_pricing_api, name="lambda_pricing_api"),
]
