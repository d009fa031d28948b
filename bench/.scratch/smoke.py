import sys, time
sys.path.insert(0, "/tmp")
from pathlib import Path
from PIL import Image
from postwright import media
root = Path("/work/main/bench/.scratch")
exec(open("/tmp/proto.py").read().split("t=time.perf_counter(); im = photo")[0])
src = root / "a.jpg"
if not src.exists():
    photo(4000, 3000, 1).save(src, quality=90)
specs = media.SPECS_BY_PLATFORM["instagram"] + media.SPECS_BY_PLATFORM["x"] + media.SPECS_BY_PLATFORM["linkedin"] + media.SPECS_BY_PLATFORM["bluesky"]
import shutil; shutil.rmtree(root / "cache", ignore_errors=True)
for i in range(3):
    t = time.perf_counter()
    out = media.make_renditions(src, None, specs, root / "cache")
    print(time.perf_counter() - t)
    for r in out.renditions: print(r)
    print(out.problems)
    (root / "cache/index.json").unlink()
    for p in (root / "cache").glob("*.json"): p.unlink()
