from django.urls import path

from quizzes.teach.lti import views

app_name = "lti"
urlpatterns = [
    path("lti/jwks/", views.jwks, name="jwks"),
    path("lti/login/", views.oidc_login, name="login"),
    path("lti/launch/", views.launch, name="launch"),
    path("lti/deep-link/", views.deep_link, name="deep_link"),
    path("teach/classes/<int:pk>/lms-roster/", views.sync_roster, name="sync_roster"),
]
