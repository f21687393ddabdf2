"""Writes a complaint import file of N rows against the merchants of a database.

usage: gen_complaints.py USCC_FILE N OUT.csv [TICKET_PREFIX]

Ticket numbers are TICKET_PREFIX (default BENCH) and the row number, so files made with
different prefixes create their rows again in a database that holds an earlier one.
"""
import csv, random, sys, datetime

usccs = [l.strip() for l in open(sys.argv[1]) if l.strip()]
n = int(sys.argv[2])
prefix = sys.argv[4] if len(sys.argv) > 4 else "BENCH"
rnd = random.Random(2019)
channels = ["12315", "12345", "12365", "12331", "96128", "internet", "consumer_association",
            "city_transfer", "city_supervision", "letter", "visit"]
kinds = ["complaint"] * 8 + ["report", "inquiry"]
cats = ["quality", "price", "false_advertising", "contract", "after_sales", "prepaid_card", "service"]
texts = ["购买的商品存在质量问题，要求退货退款", "商家拒绝履行预付卡合同，要求退还余额",
         "标价与结算价格不一致", "宣传内容与实际不符", "售后服务态度恶劣，拒不维修",
         "食品标签不规范，生产日期模糊", "办卡后店家停业，无法消费"]
now = datetime.datetime(2026, 11, 27, 12, 0, 0)
with open(sys.argv[3], "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["channel", "ticket_no", "kind", "uscc", "merchant_name", "received_at", "status",
                "category", "amount_involved_yuan", "complainant_key", "text"])
    for i in range(n):
        received = now - datetime.timedelta(minutes=rnd.randrange(0, 365 * 24 * 60))
        kind = rnd.choice(kinds)
        status = rnd.choice(["received", "accepted", "mediating", "settled", "settled", "withdrawn"]) if kind == "complaint" else "received"
        w.writerow([rnd.choice(channels), f"{prefix}-{i:08d}", kind, rnd.choice(usccs), "某商户",
                    received.strftime("%Y-%m-%d %H:%M:%S"), status, rnd.choice(cats),
                    f"{rnd.randrange(10, 50000)}.{rnd.randrange(0, 100):02d}",
                    f"ckbench{rnd.randrange(0, 300000)}", rnd.choice(texts)])
