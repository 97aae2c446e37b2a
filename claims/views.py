from django.http import HttpRequest, HttpResponse


def home(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")


topic_detail = claim_detail = conflict_detail = detainee_detail = home
