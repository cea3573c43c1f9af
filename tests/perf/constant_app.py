"""The framework ceiling for reads: a FastAPI app that returns a constant, served exactly like Sightline."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/constant")
async def constant() -> dict[str, bool]:
    return {"ok": True}
