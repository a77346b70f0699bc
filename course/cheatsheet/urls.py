from django.urls import path

from course.cheatsheet import views

app_name = "cheatsheet"
urlpatterns = [path("cheat-sheet/", views.cheat_sheet, name="cheat_sheet")]
