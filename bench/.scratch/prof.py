import cProfile, pstats, shutil
from pathlib import Path
from postwright import media
root = Path("/work/main/bench/.scratch")
specs = media.SPECS_BY_PLATFORM["instagram"] + media.SPECS_BY_PLATFORM["x"] + media.SPECS_BY_PLATFORM["linkedin"] + media.SPECS_BY_PLATFORM["bluesky"]
def run():
    for i in range(5):
        shutil.rmtree(root / "cache", ignore_errors=True)
        media.make_renditions(root / "a.jpg", None, specs, root / "cache")
cProfile.run("run()", "/work/main/bench/.scratch/p.out")
pstats.Stats("/work/main/bench/.scratch/p.out").sort_stats("tottime").print_stats(15)
