"""A stand-in for WeChat's web authorization, for the sign-in benchmark: answers
`GET /sns/oauth2/access_token?appid=…&secret=…&code=…&grant_type=authorization_code` as
WeChat documents it, the openid being the code without its `code-` prefix (the benchmark
makes the codes so). A wrong app id or secret gets WeChat's errcode 40125, an unknown code
40029. One asyncio process: it must not be what limits the measured server.

    python bench/_wechat_standin.py PORT APP_ID SECRET
"""

import asyncio
import json
import sys
from urllib.parse import parse_qs, urlsplit


def answer(target: str, app_id: str, secret: str) -> tuple[str, dict]:
    url = urlsplit(target)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    if url.path != "/sns/oauth2/access_token":
        return "404 Not Found", {"errcode": 404, "errmsg": "not found"}
    if query.get("appid") != app_id or query.get("secret") != secret:
        return "200 OK", {"errcode": 40125, "errmsg": "invalid appsecret"}
    code = query.get("code", "")
    if not code.startswith("code-") or query.get("grant_type") != "authorization_code":
        return "200 OK", {"errcode": 40029, "errmsg": "invalid code"}
    return "200 OK", {
        "access_token": "ACCESS_TOKEN",
        "expires_in": 7200,
        "refresh_token": "REFRESH_TOKEN",
        "openid": code.removeprefix("code-"),
        "scope": "snsapi_base",
    }


async def serve(port: int, app_id: str, secret: str) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                target = head.split(b" ", 2)[1].decode()
                status, body = answer(target, app_id, secret)
                data = json.dumps(body).encode()
                writer.write(
                    f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(data)}\r\n\r\n".encode()
                    + data
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=2048)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    port, app_id, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    asyncio.run(serve(port, app_id, secret))
