"""Counts the public declarations written in the libraries' sources that have no doc comment, from
the symbol graphs `swift package generate-documentation` extracted; lists them with `--list`.
A member that implements a protocol requirement (or overrides) inherits that documentation."""
import glob, json, os, sys

libraries = [a for a in sys.argv[1:] if not a.startswith("--")]
sources = os.getcwd() + "/Sources/"
undocumented, total = [], 0
for library in libraries:
    for path in glob.glob(f".build/*/extracted-symbols/*/{library}/{library}*.symbols.json"):
        for symbol in json.load(open(path))["symbols"]:
            location = symbol.get("location", {}).get("uri", "")
            if symbol.get("accessLevel") not in ("public", "open") or sources not in location or "sourceOrigin" in symbol:
                continue
            total += 1
            if not symbol.get("docComment"):
                where = location.split(sources)[1] + ":" + str(symbol["location"]["position"]["line"] + 1)
                undocumented.append(f"{where}  {'.'.join(symbol['pathComponents'])} ({symbol['kind']['displayName']})")
print(f"{total - len(undocumented)} of {total} public declarations documented ({len(undocumented)} without a doc comment)")
if "--list" in sys.argv and undocumented:
    print("\n".join(sorted(undocumented)))
sys.exit(1 if "--strict" in sys.argv and undocumented else 0)
