from django.urls import path

from . import views

app_name = "boards"

urlpatterns = [
    path("board/", views.board, name="board"),
    path("board/move/", views.move, name="move"),
    path("board/release/", views.release, name="release"),
    path("board/cards/<int:number>/move/", views.move_form, name="move_form"),
    path("board/add/", views.add, name="add"),
    path("board/column/", views.column, name="column"),
]
