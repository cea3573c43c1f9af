"""The framework ceiling for writes: a FastAPI app whose POST takes the check-in row's request (same path, body
and headers), validates its body with pydantic and commits one one-row INSERT transaction on an asyncpg pool of
Sightline's size, served exactly like Sightline. Whatever a keyed check-in does beyond that costs below this rate.
"""

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI
from pydantic import BaseModel

POOL: dict[str, asyncpg.Pool] = {}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    size = int(os.environ.get("SIGHTLINE_DB_POOL_SIZE", "20"))
    POOL["pool"] = await asyncpg.create_pool(os.environ["BENCH_INSERT_DSN"], min_size=size, max_size=size)
    yield
    await POOL.pop("pool").close()


app = FastAPI(lifespan=lifespan)


class CheckIn(BaseModel):
    key_result_id: uuid.UUID
    value: float
    confidence: int


@app.get("/healthz")
async def healthz() -> dict[str, bool]:
    return {"ok": True}


@app.post("/api/v1/check-ins", status_code=201)
async def insert(body: CheckIn) -> dict[str, object]:
    row_id = uuid.uuid4()
    async with POOL["pool"].acquire() as connection, connection.transaction():
        await connection.execute(
            "INSERT INTO bench_raw VALUES ($1, $2, $3, now())", row_id, body.key_result_id, body.value
        )
    return {"id": row_id, "key_result_id": body.key_result_id, "value": body.value, "confidence": body.confidence}
