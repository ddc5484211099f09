"""The serving core: models run in worker processes under a fair scheduler.

    front doors (UI, /v1, MCP) -> ModelService -> Scheduler (owners, turns, quotas)
                                                     -> Worker processes (one model each)
                                                          -> backends (load / run / unload)

A worker that crashes ends only its own job; a long job gives the CPU to a newer one.
"""
