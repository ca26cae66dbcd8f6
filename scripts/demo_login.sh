#!/usr/bin/env bash
# The README's scripted conversation: 张三 asks for his certificates, logs in with the code
# read from var/sms_outbox.jsonl, and gets the list. Run it against `make run`.
set -euo pipefail
cd "$(dirname "$0")/.."
URL="http://localhost:${RASA_PORT:-5005}/webhooks/rest/webhook"
OUTBOX="${VAR_DIR:-var}/sms_outbox.jsonl"
SENDER="demo-$(date +%s)"
SESSION=""  # the token the first reply issues; every later message sends it back
say() {
  echo "张三: $1"
  local reply
  reply=$(curl -s -XPOST "$URL" -H 'Content-Type: application/json' \
    -d "{\"sender\":\"$SENDER\",\"session\":\"$SESSION\",\"message\":\"$1\"}")
  .venv/bin/python -c 'import json,sys; [print("助手:", m.get("text", "")) for m in json.loads(sys.argv[1])]' "$reply"
  SESSION=$(.venv/bin/python -c 'import json,sys; print(next((m["session"] for m in json.loads(sys.argv[1]) if m.get("session")), sys.argv[2]))' "$reply" "$SESSION")
  echo
}
say "我有哪些证照"
say "11010519491231002X"
say "张三"
sleep 0.5
CODE=$(.venv/bin/python -c '
import json, re, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
print(re.search(r"验证码为(\d{6})", [l for l in lines if l["phone"] == "13800138000"][-1]["text"]).group(1))
' "$OUTBOX")
say "$CODE"
say "我的驾驶证什么时候到期"
say "谁用过我的证照"
say "退出登录"
