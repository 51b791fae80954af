# How deflate dictionary 1 (1.txt) was made, kept for the record: a shipped dictionary is never
# rebuilt or edited (items written with it must keep reading); a new one gets a new id.
#
# It is the default letter templates with their tags removed (as text and as the HTML the
# letters' JSON holds), then the JSON shapes of a case snapshot and of its events with every
# value that belongs to a person or a case blanked, most used last (nearest the data).
# Input: one lifecycle's items as JSON, {"SK|attribute": inflated text}, dumped from a
# `tests/lambda-bench` run against moto (synthetic data; case CMP-2026-00012 of that run).
#
#   python3 build.py items.json 1.txt
import json, re, glob, os, sys
TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         "../../../domain/src/letter/templates/*.html")
items = json.load(open(sys.argv[1]))
KEEP = {"type","kind","role","delivery","channel","category","outcome","decision","procedure",
        "tenure","through","format","method","source"}
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
def neutral(v, key=None):
    if isinstance(v, dict): return {k: neutral(x, k) for k, x in v.items()}
    if isinstance(v, list): return [neutral(x, key) for x in v]
    if isinstance(v, str):
        if key in KEEP: return v
        if TS.match(v): return "2026-01-01T00:00:00." + "0"*max(len(v)-21,0) + "Z" if "." in v else "2026-01-01T00:00:00Z"
        if DATE.match(v): return "2026-01-01"
        if key == "reference": return "CMP-2026-00001"
        if key == "email": return "@example.org"
        if key == "access_code_hash": return ""
        return ""
    if isinstance(v, bool) or v is None: return v
    if isinstance(v, (int, float)): return 1
    return v
def compact(o): return json.dumps(o, separators=(",", ":"), ensure_ascii=False)
def strip_tags(t):
    t = re.sub(r"\{#.*?#\}", "", t, flags=re.S)
    t = re.sub(r"\{%.*?%\}", "", t, flags=re.S)
    return re.sub(r"\{\{.*?\}\}", "", t, flags=re.S)
parts = []
tpl = sorted(glob.glob(TEMPLATES))
common = ["footer.html", "acknowledgement.html", "stage_response.html"]
order = [f for f in tpl if f.rsplit("/",1)[1] not in common] + [f for c in common for f in tpl if f.endswith("/"+c)]
for f in order:
    html = strip_tags(open(f).read()).split("---", 1)[-1]
    html = re.sub(r"\n\s*\n+", "\n\n", html)
    text = re.sub(r"<[^>]+>", "", html)
    parts.append(json.dumps(text, ensure_ascii=False)[1:-1])
    parts.append(json.dumps(html.replace("/", "&#x2f;").replace("<&#x2f;", "</"), ensure_ascii=False)[1:-1])
evs = sorted(k for k in items if k.startswith("EVENT#"))
seen = set()
for k in evs:
    v = json.loads(items[k])
    for e in (v if isinstance(v, list) else [v]):  # an item may hold a write's events
        if e.get("type") == "letter_issued":
            e["letter"]["html"] = ""; e["letter"]["text"] = ""
        s = compact(neutral(e))
        if s not in seen: seen.add(s); parts.append(s)
parts.append(compact(neutral(json.loads(items["CASE|snapshot"]))))
d = "\n".join(parts).encode()
print(len(d), file=sys.stderr)
open(sys.argv[2], "wb").write(d)
