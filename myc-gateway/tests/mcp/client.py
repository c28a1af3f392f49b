"""Drives the gateway's MCP endpoint with the official Python SDK (`mcp`).

Usage: client.py URL VIEWER_TOKEN NOBODY_TOKEN; prints one JSON object of what it saw.
"""
import asyncio
import json
import sys

from mcp import ClientSession
from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client


async def with_session(url, token, work):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with create_mcp_http_client(headers=headers) as http:
        async with streamable_http_client(url, http_client=http) as streams:
            async with ClientSession(streams[0], streams[1]) as session:
                init = await session.initialize()
                return await work(session, init)


def outcome(result):
    return {"isError": bool(result.is_error), "text": result.content[0].text}


async def main():
    url, viewer, nobody = sys.argv[1:4]
    seen = {}

    async def as_viewer(session, init):
        seen["server"] = init.server_info.name
        listed = await session.list_tools()
        seen["tools"] = sorted(t.name for t in listed.tools)
        one = next(t for t in listed.tools if t.name == "crm__get__api_customers_id")
        seen["schema"] = one.input_schema
        seen["description"] = one.description
        seen["allowed"] = outcome(await session.call_tool(
            "crm__get__api_customers_id", {"__path_params": {"id": "42"}}))
        seen["posted"] = outcome(await session.call_tool(
            "crm__post__api_customers",
            {"__body": {"name": "Ada"}, "__query_params": {"notify": True}}))
        seen["escape"] = outcome(await session.call_tool(
            "crm__get__api_customers_id", {"__path_params": {"id": "../../admin/secret"}}))
        try:
            await session.call_tool("crm__delete__admin_secret", {})
            seen["unlisted"] = "called"
        except Exception as e:  # the SDK raises the JSON-RPC error
            seen["unlisted"] = str(e)

    async def as_nobody(session, init):
        seen["refused"] = outcome(await session.call_tool(
            "crm__get__api_customers_id", {"__path_params": {"id": "42"}}))

    async def anonymous(session, init):
        listed = await session.list_tools()
        seen["anonymous_tools"] = len(listed.tools)
        seen["anonymous"] = outcome(await session.call_tool(
            "crm__get__api_customers_id", {"__path_params": {"id": "42"}}))

    await with_session(url, viewer, as_viewer)
    await with_session(url, nobody, as_nobody)
    await with_session(url, None, anonymous)
    print(json.dumps(seen))


asyncio.run(main())
