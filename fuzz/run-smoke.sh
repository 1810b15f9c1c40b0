#!/usr/bin/env bash
# Builds every importer's libFuzzer target and fuzz_json with clang-14 (ASan + UBSan) and
# runs each for FUZZ_SECONDS (default 15) from a seed corpus of small real files; every
# JSON target also gets seeds nested far deeper than the readers accept (issue 9).
# Fails on any crash, leak, sanitizer report or timeout.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-15}
data=${ANNOTRAIN_SHARED_DATA:-$(pwd)/../shared/data}
CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DANNOTRAIN_FUZZ=ON \
  -DANNOTRAIN_WITH_TORCH=OFF -DANNOTRAIN_WITH_GUI=OFF >/dev/null
targets=(fuzz_via fuzz_via_project fuzz_via3 fuzz_via_csv fuzz_coco fuzz_labelme fuzz_json fuzz_yolo fuzz_voc fuzz_idx fuzz_folder)
cmake --build build-fuzz -j"$(nproc)" --target "${targets[@]}"

corpus=build-fuzz/corpus
rm -rf "$corpus"; mkdir -p "$corpus"/{via,via_project,via3,via_csv,coco,labelme,json,yolo,voc,idx,folder}
cp "$data/via/v1-tests/unit_test_annotation2.json" "$corpus/via/"
printf '{"_via_settings":{},"_via_img_metadata":{"a.jpg1":{"filename":"a.jpg","size":1,"regions":[{"shape_attributes":{"name":"rect","x":1,"y":2,"width":3,"height":4},"region_attributes":{"class":"c"}}],"file_attributes":{}}},"_via_attributes":{"region":{"class":{"type":"dropdown","options":{"c":""},"default_options":{}}},"file":{}}}' > "$corpus/via_project/p.json"
printf '{"project":{"vid_list":["1"]},"attribute":{"1":{"aname":"class","type":4,"options":{"0":"a"}}},"file":{"1":{"fid":"1","fname":"a.jpg"}},"view":{"1":{"fid_list":["1"]}},"metadata":{"m":{"vid":"1","xy":[7,0,0,5,0,5,5],"av":{"1":"0"}}}}' > "$corpus/via3/v.json"
cp "$data/via/v1-tests/unit_test_annotation1.csv" "$corpus/via_csv/"
head -c 4000 "$data/labelme/coco/annotations.json" > "$corpus/coco/truncated.json"
printf '{"images":[{"id":1,"file_name":"a.png","width":4,"height":3}],"categories":[{"id":1,"name":"b"}],"annotations":[{"id":1,"image_id":1,"category_id":1,"segmentation":{"size":[3,4],"counts":"32103"}},{"id":2,"image_id":1,"category_id":1,"segmentation":[[0,0,2,0,2,2]],"bbox":[0,0,2,2]}]}' > "$corpus/coco/rle.json"
cp "$data/labelme/primitives/primitives.json" "$corpus/labelme/"
printf '{"a": [1, -0, 1e2, 18446744073709551616, "\\u00e9"], "b": {"c": null, "c": true}}' > "$corpus/json/small.json"

# Deep nesting in places each JSON reader keeps: 300 levels (just past the limit) and
# 30,000 (a stack overflow for any recursive walk; 60 kB, under -max_len).
python3 - "$corpus" <<'PY'
import sys
c = sys.argv[1]
def arr(n): return "[" * n + "]" * n
def obj(n): return '{"a":' * n + "1" + "}" * n
for name, deep, deeper in (("deep300", arr(300), obj(300)), ("deep30000", arr(30000), "{}")):
    files = {
        "via": '{"img.jpg":{"filename":"img.jpg","size":1,"regions":[{"shape_attributes":{"name":"point","cx":1,"cy":2},"region_attributes":{"c":%s}}],"file_attributes":{"a":%s}}}' % (deeper, deep),
        "via_project": '{"_via_settings":%s,"_via_img_metadata":{"a.jpg1":{"filename":"a.jpg","regions":[],"file_attributes":{"a":%s}}}}' % (deeper, deep),
        "via3": '{"project":{},"file":{"1":{"fname":"a.jpg"}},"view":{"1":{"fid_list":["1"]}},"metadata":{"m":{"vid":"1","xy":[],"av":{"1":%s,"2":%s}}}}' % (deep, deeper),
        "via_csv": 'filename,file_size,file_attributes,region_count,region_id,region_shape_attributes,region_attributes\na.jpg,1,"{""a"":%s}",0,0,"{}","{}"\n' % deep,
        "coco": '{"images":[{"id":1,"file_name":"a.png","x":%s}],"annotations":[{"image_id":1,"bbox":[0,0,1,1],"y":%s}],"categories":[]}' % (deep, deeper),
        "labelme": '{"shapes":[{"points":[[1,2]],"shape_type":"point","flags":%s}],"imageData":%s}' % (deeper, deep),
        "json": '{"x":[%s,%s]}' % (deep, deeper),
    }
    for d, text in files.items():
        assert len(text) < 65536
        open("%s/%s/%s.json" % (c, d, name), "w").write(text)
open("%s/json/deep-object.json" % c, "w").write(obj(10000))
PY
printf '0 0.5 0.5 0.2 0.2\n1 0.1 0.1 0.2 0.1 0.3 0.3\n' > "$corpus/yolo/x.txt"
printf '<?xml version="1.0"?>\n<annotation><filename>a.jpg</filename><size><width>10</width><height>10</height></size><object><name>a &amp; b</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>5</xmax><ymax>5</ymax></bndbox></object></annotation>\n' > "$corpus/voc/a.xml"
printf '\x00\x00\x08\x03\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x02\x01\x02\x03\x04' > "$corpus/idx/i"
printf '\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x02\x00\x00\x00\x02' > "$corpus/folder/p"

status=0
for t in "${targets[@]}"; do
  name=${t#fuzz_}
  log=build-fuzz/$t.log
  if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 build-fuzz/fuzz/$t "$corpus/$name" \
       -max_total_time="$secs" -timeout=5 -print_final_stats=1 -rss_limit_mb=2048 -artifact_prefix="build-fuzz/$t-" -max_len=65536 >"$log" 2>&1; then
    echo "fuzz $t: $(grep -Eo 'stat::number_of_executed_units: [0-9]+' "$log" | awk '{print $2}') runs, no crash"
  else
    echo "fuzz $t: FAILED (see $log)"; tail -30 "$log"; status=1
  fi
done
exit $status
