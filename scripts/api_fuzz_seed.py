"""Seeds a fresh `p3 serve` for scripts/api-fuzz: one complaint and one service request, so
the fuzzer's path parameters point at real records. Prints: reference access_code service_request_id."""
import json, sys, urllib.request
base, token = sys.argv[1], sys.argv[2]
def post(path, body, auth=False):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"content-type": "application/json"})
    if auth:
        req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as r:
        return json.load(r)
case = post("/complaints", {"name": "Fuzz Resident", "email": "fuzz.resident@example.org",
                            "description": "The boiler has failed."})
sr = post("/staff/service-requests", {"name": "Fuzz Resident", "email": "fuzz.resident@example.org",
                                      "description": "Repair the gate",
                                      "category": "repairs", "response": "Booked"}, auth=True)
print(case["reference"], case["access_code"], sr["id"])
