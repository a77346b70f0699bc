from django.urls import path

from quizzes.review import views

# Included into quizzes.urls (namespace "quizzes"), like teach/.
urlpatterns = [
    path("review/", views.review, name="review_due"),
    path("review/<int:item_id>/", views.answer, name="review_answer"),
]
