"""Bench-only middleware (bench/pages_settings.py): the number of SQL statements a request ran, in the
`X-Bench-Queries` header, counted with an execute wrapper so that it works with DEBUG off."""

from django.db import connection

HEADER = "X-Bench-Queries"


class QueryCountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = 0

        def counter(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = self.get_response(request)
            if getattr(response, "streaming", False):
                # The rows of a streamed response are read after this returns: count them by forcing it.
                response.streaming_content = [b"".join(response.streaming_content)]
        response[HEADER] = str(count)
        return response
