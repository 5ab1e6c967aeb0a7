from django.urls import path

from parcours.logistics import views

app_name = "logistics"

urlpatterns = [
    path("planification/", views.day, name="day"),
    path("planification/calcul/", views.run_start, name="run_start"),
    path("planification/calcul/<uuid:run_id>/progression/", views.run_progress, name="run_progress"),
    path("planification/calcul/<uuid:run_id>/arreter/", views.run_stop, name="run_stop"),
    path("planification/replanifier/", views.replan, name="replan"),
    path("planification/visites/ajouter/", views.visit_add, name="visit_add"),
    path("planification/visites/rassembler/", views.visits_gather, name="visits_gather"),
    path("planification/infirmiers/ajouter/", views.shift_add, name="shift_add"),
    path("planification/visites/<uuid:visit_id>/epingler/", views.visit_pin, name="visit_pin"),
    path("planification/visites/<uuid:visit_id>/annuler/", views.visit_cancel, name="visit_cancel"),
    path(
        "planification/infirmiers/<uuid:shift_id>/indisponible/",
        views.shift_unavailable,
        name="shift_unavailable",
    ),
    path("ma-tournee/", views.my_round, name="my_round"),
    path("agenda/<str:token>.ics", views.ical, name="ical"),
]
