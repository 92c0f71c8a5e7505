"""Django's Redis cache, with one redis-py client per connection pool instead of one per
operation.

Django's RedisCacheClient makes a new `redis.Redis` for every cache call, on the pool it
keeps. Making one copies redis-py's table of ~170 response callbacks (upper-casing each
name) and sets up its retry and event machinery: measured here with callgrind, a check-in
that had to ask the cache twice (its activity's score recompute already queued) cost three
times the instructions of one that did not. A client is safe to share, between threads too:
each command takes a connection from the pool and gives it back, and the pool makes new
connections after a fork. Everything else is Django's."""

from django.core.cache.backends import redis


class ReusingClient(redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingClient
