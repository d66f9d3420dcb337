"""URL map for benchmark settings only: the normal site plus the baseline endpoint."""

from django.urls import path

from zairyu.core.views import bench_baseline
from zairyu.urls import urlpatterns as site_urlpatterns

urlpatterns = [path("bench/baseline/", bench_baseline, name="bench-baseline"), *site_urlpatterns]
