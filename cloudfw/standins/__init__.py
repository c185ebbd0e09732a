"""Local stand-ins for cloud APIs (stdlib HTTP servers on 127.0.0.1).

Used by the tests and by `cloudfw demo`: moto for AWS, ARM, Compute and CloudTrail LookupEvents.
"""
