from django.http import HttpRequest, HttpResponse


def source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return HttpResponse("")
