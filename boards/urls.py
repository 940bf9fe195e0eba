from django.urls import path

from . import views

app_name = "boards"

urlpatterns = [
    path("board/", views.board, name="board"),
    path("board/move/", views.move, name="move"),
    path("board/add/", views.add, name="add"),
    path("board/column/", views.column, name="column"),
]
