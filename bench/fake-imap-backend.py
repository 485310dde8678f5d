#!/usr/bin/env python3
"""A minimal IMAP backend for measuring the proxy's memory per idle connection.

It greets, answers ID, CAPABILITY and LOGIN with OK, then keeps the connection open and silent.
Real Dovecot backends cannot hold 10 000 logged-in sessions on a 2-core test machine (one imap
process each), so this stands in for them; it measures the proxy, not a backend.

Usage: fake-imap-backend.py ADDRESS PORT
"""
import asyncio
import sys


async def serve(reader, writer):
    writer.write(b"* OK [CAPABILITY IMAP4rev1 ID AUTH=PLAIN SASL-IR] fake backend ready\r\n")
    await writer.drain()
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            parts = line.decode("utf-8", "replace").split(" ", 2)
            tag = parts[0]
            command = parts[1].strip().upper() if len(parts) > 1 else ""
            if command == "LOGOUT":
                writer.write(b"* BYE bye\r\n" + tag.encode() + b" OK Logout completed.\r\n")
                await writer.drain()
                break
            if command == "ID":
                writer.write(b'* ID ("name" "fake")\r\n')
            writer.write(tag.encode() + b" OK [CAPABILITY IMAP4rev1 IDLE] done\r\n")
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def main():
    server = await asyncio.start_server(serve, sys.argv[1], int(sys.argv[2]), backlog=4096)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
