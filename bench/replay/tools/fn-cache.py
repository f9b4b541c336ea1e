# Annotates a callgrind --cache-sim run of the replay loop (bench/replay/tools/fn-cache.sh): every event a packet per
# WebAssembly function, from V8's --print-wasm-code listing (each function's instruction addresses).
# usage: NPK=packets python3 fn-cache.py CG_OUT CODE_TXT [FUNCTION_SUBSTRING]
import sys,re,collections,os
cg,code=sys.argv[1],sys.argv[2]
NPK=float(os.environ.get("NPK","1e6")); fnsel=sys.argv[3] if len(sys.argv)>3 else None
ev=None; cost={}
skip=False
for l in open(cg):
    if skip: skip=False; continue
    if l.startswith('events:'): ev=l.split()[1:]; ne=len(ev); continue
    if l.startswith('calls='): skip=True; continue
    if l.startswith('0x'):
        p=l.split()
        try:
            a=int(p[0],16); v=[int(x) for x in p[2:2+ne]]
            v+= [0]*(ne-len(v))
            c=cost.get(a)
            if c is None: cost[a]=v
            else:
                for k in range(ne): c[k]+=v[k]
        except: pass
Z=[0]*ne
name=None; tot={}
out=[]
for l in open(code):
    if l.startswith('name:'): name=l.split()[1]
    m=re.match(r'(0x[0-9a-f]+)\s+([0-9a-f]+)\s+(\S+)\s+(.*)',l)
    if m and name:
        a=int(m.group(1),16); c=cost.get(a,Z)
        t=tot.setdefault(name,[0]*ne)
        for k in range(ne): t[k]+=c[k]
        if fnsel and fnsel in name and c[0]: out.append(" ".join(f"{x/NPK:7.3f}" for x in c)+f" {m.group(2):>5} {m.group(4)}")
cols=[e for e in ev if e not in ('I1mr','ILmr')]
idx=[ev.index(e) for e in cols]
print("a packet: "+" ".join(f"{e:>8}" for e in cols)+"  function")
for n,c in sorted(tot.items(),key=lambda x:-x[1][0])[:20]:
    print("          "+" ".join(f"{c[i]/NPK:8.3f}" for i in idx)+"  "+n)
S=[sum(t[k] for t in tot.values()) for k in range(ne)]
print("          "+" ".join(f"{S[i]/NPK:8.3f}" for i in idx)+"  all WebAssembly functions")
print("events (per line of listing): "+" ".join(ev))
print('\n'.join(out))
