from django.urls import path

from course.glossary import views

app_name = "glossary"
urlpatterns = [path("glossary/", views.glossary, name="glossary")]
