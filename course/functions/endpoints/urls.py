from django.urls import path, re_path

from course.functions.endpoints import views

app_name = "endpoints"

urlpatterns = [
    # Any method, any path below the endpoint: the function's routes decide.
    re_path(r"^fn/(?P<public_id>[^/]+)$", views.public, name="public_root"),
    re_path(r"^fn/(?P<public_id>[^/]+)(?P<rest>/.*)$", views.public, name="public"),
    # /fn, /fn/, /fn//...: no endpoint id; API Gateway's JSON 404, not the site's HTML page.
    re_path(r"^fn(?:/.*)?$", views.no_endpoint, name="no_endpoint"),
    path("functions/<int:pk>/endpoint", views.page, name="page"),
    path("functions/<int:pk>/endpoint/save", views.save, name="save"),
    path("functions/<int:pk>/endpoint/keys", views.key_create, name="key_create"),
    path(
        "functions/<int:pk>/endpoint/keys/<int:key_pk>/revoke",
        views.key_revoke,
        name="key_revoke",
    ),
    path("api/functions/<int:pk>/endpoint", views.api_endpoint, name="api_endpoint"),
    path("api/functions/<int:pk>/keys", views.api_keys, name="api_keys"),
    path("api/functions/<int:pk>/keys/<int:key_pk>", views.api_keys, name="api_key"),
]
