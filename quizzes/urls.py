from django.urls import path

from quizzes import views
from quizzes.review import urls as review_urls
from quizzes.teach import urls as teach_urls

app_name = "quizzes"

urlpatterns = [
    path("lessons/<slug:slug>/quiz/", views.quiz_detail, name="quiz"),
    path("lessons/<slug:slug>/quiz/start/", views.start, name="start"),
    path("quizzes/attempts/<int:pk>/", views.attempt_detail, name="attempt"),
    path("quizzes/attempts/<int:pk>/answers/<int:question_id>/", views.answer, name="answer"),
    path("quizzes/attempts/<int:pk>/review/", views.review, name="review"),
    path("quizzes/attempts/<int:pk>/submit/", views.submit, name="submit"),
    path("quizzes/attempts/<int:pk>/result/", views.result, name="result"),
    path("progress/", views.progress_page, name="progress"),
    *teach_urls.urlpatterns,
    *review_urls.urlpatterns,
]
