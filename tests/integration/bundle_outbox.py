"""The evidence bundle of one report, rebuilt from the agent's outbox as the
collector would: chunk messages in seq order, checked against the manifest
message, then every file checked against the bag's manifest-sha256.txt.

As a module: rebuild(db_path, report_id) -> (files, manifest, archive), where
files maps a path inside the bag ("data/logs/LabSZ.log") to its bytes.
As a command: bundle_outbox.py DB REPORT_ID prints the bag's file names."""
import base64
import hashlib
import io
import json
import sqlite3
import sys
import tarfile


def rebuild(db_path, report_id):
    db = sqlite3.connect(db_path)
    msgs = [json.loads(p) for (p,) in db.execute(
        "select payload from outbox where topic='evidence' order by id")]
    msgs = [m for m in msgs if m.get("report") in (None, report_id)]
    chunks = [m for m in msgs if m["type"] == "chunk"]
    man = [m for m in msgs if m["type"] == "manifest"]
    assert len(man) == 1 and len(chunks) == man[0]["chunks"], (len(chunks), [m["chunks"] for m in man])
    data = b"".join(base64.b64decode(c["data"]) for c in sorted(chunks, key=lambda c: c["seq"]))
    assert len(data) == man[0]["size"] and hashlib.sha256(data).hexdigest() == man[0]["sha256"]
    tar = tarfile.open(fileobj=io.BytesIO(data))
    names = tar.getnames()
    top = names[0].split("/")[0]
    files = {n[len(top) + 1:]: tar.extractfile(n).read() for n in names if tar.getmember(n).isfile()}
    for line in files["manifest-sha256.txt"].decode().splitlines():
        h, p = line.split(None, 1)
        assert hashlib.sha256(files[p.strip()]).hexdigest() == h, p
    return files, man[0], data


if __name__ == "__main__":
    for name in sorted(rebuild(sys.argv[1], sys.argv[2])[0]):
        print(name)
