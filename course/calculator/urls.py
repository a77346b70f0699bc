from django.urls import path

from course.calculator import views

urlpatterns = [
    path("tools/lambda-pricing/", views.lambda_pricing, name="lambda_pricing"),
    path("api/pricing/lambda", views.lambda_pricing_api, name="lambda_pricing_api"),
]
