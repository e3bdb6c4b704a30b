# Il testo italiano di notebooks/src/12_modern_gpt.py (formato:
# scripts/build_notebooks.py; termini: docs/it/glossario.md).

# %% [markdown] id=cell-000 en=d99a3434
# # Lezione 12: che cosa è cambiato dopo GPT-2
#
# Il GPT che hai costruito segue GPT-2 (2019): la LayerNorm, una tabella appresa di vettori di
# posizione, una feed-forward con ReLU o GELU, e un'attention in cui ogni head ha le sue key e
# i suoi value. I modelli aperti che si usano oggi (Llama, Mistral, Qwen, Gemma) hanno
# cambiato proprio queste quattro parti. In questa lezione scrivi tu ogni modifica, la attivi
# nello stesso `GPTConfig` e leggi che cosa ha portato al modello della lezione 08, misurato
# su tre seed.
#
# **Cosa imparerai**
# - **RMSNorm**: la LayerNorm senza media e senza traslazione, e che cosa si risparmia;
# - **RoPE** (*rotary position embedding*, embedding di posizione rotatorio): la posizione
#   come rotazione di ogni coppia di canali di query e key, perché un punteggio dipende
#   allora solo dalla distanza tra due token, e che cosa succede oltre `block_size`;
# - **SwiGLU**: una feed-forward con gate, e la dimensione nascosta che lascia invariato il
#   numero di parametri;
# - **grouped-query attention**: meno head per key e value, condivise dalle head delle
#   query, e la memoria della KV cache che così si risparmia;
# - che cosa ha fatto ogni modifica al GPT della lezione 08 a parità di passi e a parità di
#   tempo, e da dove vengono le quattro idee.
#
# **Prerequisiti:** [lezione 08: il GPT completo](08_full_gpt.ipynb) (il modello, il suo
# numero di parametri, la KV cache, la dispersione tra i seed) e [lezione 11](11_your_own_gpt.ipynb).

# %% [markdown] id=cell-001 en=0ecddf15
# ## Preparazione

# %% id=cell-002 en=be33da0f setup
from course_lib import set_language

set_language("it")                       # course_lib ti parlerà in italiano

import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.testing import assert_close

from course_lib import FeedForward, GPTConfig, GPTLanguageModel
from course_lib.core.model import (KVCache, RMSNorm, apply_rope, repeat_kv, rope_angles,
                                   rope_frequencies, swiglu_hidden)
from course_lib.lessons.checks import (check_repeat_kv, check_rms_norm, check_rope_rotate,
                                       check_swiglu)
from course_lib.lessons.modern import (kv_cache_bytes, kv_cache_explorer, load_modern_gpt,
                                       modern_table, plot_kv_cache_memory, plot_modern_results,
                                       rope_rotation_explorer)
from course_lib.lessons.sweep import compare_losses

torch.manual_seed(1337)
torch.set_printoptions(precision=4, sci_mode=False)

# %% [markdown] id=cell-003 en=f57b9abc
# ## Quattro interruttori in una configurazione
#
# Ogni modifica è un campo di `GPTConfig`. I valori predefiniti sono le scelte di GPT-2,
# quindi tutti i modelli delle lezioni precedenti restano come erano. Il modello qui sotto ha
# la dimensione dei confronti della lezione 08 (`n_embd = 64`, 4 head, 4 blocchi,
# `block_size = 64`): prima com'era, poi con tutte e quattro le modifiche.

# %% [markdown] id=cell-005 en=5af4ac69
# Le classi sono le stesse, `Block`, `CausalSelfAttention` e `FeedForward`, ma ora
# contengono altre parti: `RMSNorm` al posto di `LayerNorm`, un `qkv` più stretto (una sola
# head per le key e una per i value) e una feed-forward il cui primo `Linear` è largo circa il
# doppio del secondo. Il modello non ha più una `position_embedding_table`. Conta i parametri
# di ogni variante:

# %% id=cell-006 en=1d3f343e
variants = {"baseline": {}, "rmsnorm": {"norm": "rmsnorm"}, "rope": {"position": "rope"},
            "swiglu": {"activation": "swiglu"}, "gqa": {"n_kv_head": 1},
            "all four": {"norm": "rmsnorm", "position": "rope", "activation": "swiglu",
                         "n_kv_head": 1}}
counts = {name: GPTLanguageModel(GPTConfig(**size, **change)).num_parameters()
          for name, change in variants.items()}
for name, n in counts.items():
    print(f"{name:<9} {n:>8,} parametri  ({n - counts['baseline']:+,})")
print("tabella delle posizioni nel modello rope:", hasattr(new, "position_embedding_table"))

# %% [markdown] id=cell-007 en=4f1103ba
# Ogni differenza viene da una sola parte, e puoi dire quale:
#
# - RMSNorm ha la scala ma non la traslazione: 9 normalizzazioni × 64 bias in meno.
# - RoPE non ha la tabella delle posizioni: 64 posizioni × 64 canali in meno.
# - GQA con una sola head per key e value: il `qkv` di ogni blocco produce 64 + 2 × 16
#   uscite invece di 3 × 64, cioè 64 × 64 pesi in meno per blocco.
# - Le tre matrici di SwiGLU sono un po' più grandi delle due della feed-forward con ReLU
#   (per l'arrotondamento della dimensione nascosta, vedi sotto).

# %% id=cell-008 en=22827349
C, L, hs = size["n_embd"], size["n_layer"], size["n_embd"] // size["n_head"]
assert counts["rmsnorm"] == counts["baseline"] - (2 * L + 1) * C
assert counts["rope"] == counts["baseline"] - size["block_size"] * C
assert counts["gqa"] == counts["baseline"] - L * C * (2 * C - 2 * hs)
assert 0 < counts["swiglu"] - counts["baseline"] < L * 3 * C
print("ogni differenza è spiegata")

# %% [markdown] id=cell-009 en=bf76604c
# ## RMSNorm: via la media e la traslazione
#
# La LayerNorm (lezione 07) fa due cose al vettore di ogni token: sottrae la media (lo
# centra) e divide per la deviazione standard (lo riscala), poi applica una scala e una
# traslazione apprese. RMSNorm (Zhang e Sennrich, 2019) tiene solo la riscalatura, per la
# **radice della media dei quadrati** (*root mean square*, RMS), e la scala appresa:
#
# $$\mathrm{RMSNorm}(x) = \frac{x}{\sqrt{\frac{1}{C}\sum_i x_i^2 + \epsilon}} \cdot w$$
#
# L'argomento dell'articolo: ciò che rende utile la LayerNorm è che ogni vettore arrivi con la
# stessa grandezza, non che sia centrato. Senza la media c'è una sola riduzione sui canali
# invece di due, e nessun bias. Sull'esempio `[1, 2, 3]` della lezione 07:

# %% id=cell-010 en=fe927d34
x = torch.tensor([1.0, 2.0, 3.0])
ln, rms = nn.LayerNorm(3), RMSNorm(3)
with torch.no_grad():
    print("LayerNorm:", ln(x))
    print("RMSNorm:  ", rms(x), " radice della media dei quadrati di x:", f"{float(x.pow(2).mean().sqrt()):.4f}")
    print("radice della media dei quadrati di RMSNorm(x):", f"{float(rms(x).pow(2).mean().sqrt()):.4f}")
    print("x + 10 -> LayerNorm:", ln(x + 10), " RMSNorm:", rms(x + 10))

# %% [markdown] id=cell-011 en=4039ef08
# La LayerNorm dà la stessa uscita per `x` e per `x + 10`: toglie la traslazione. RMSNorm no:
# la sua uscita conserva la direzione del vettore e ne fissa solo la grandezza.
#
# ### Esercizio 1: RMSNorm
#
# Scrivi `my_rms_norm(x, weight, eps)` per un `x` di forma `(B, T, C)`: dividi il vettore di
# ogni token per la radice della media dei quadrati dei suoi canali (con `eps` sotto la
# radice), poi moltiplica per `weight`.

# %% id=cell-012 en=51faface
def my_rms_norm(x, weight, eps):
    # TODO: la media di x² sull'ultima dimensione (keepdim=True), + eps, la radice quadrata,
    # la divisione, il prodotto per weight
    raise NotImplementedError


check_rms_norm(my_rms_norm)

# %% [markdown] id=cell-014 en=99aa5e93
# La `RMSNorm` del corso calcola la stessa cosa, e così fa `F.rms_norm` di PyTorch:

# %% id=cell-015 en=a2297bf6
xb = torch.randn(2, 5, 64)
norm = RMSNorm(64)
assert_close(norm(xb), solution_rms_norm(xb, norm.weight, norm.eps))
assert_close(norm(xb), F.rms_norm(xb, (64,), norm.weight, norm.eps))
print("RMSNorm == la formula == F.rms_norm")

# %% [markdown] id=cell-016 en=89b76a68
# ## SwiGLU: una feed-forward con gate
#
# La feed-forward della lezione 06 è $\mathrm{ReLU}(x W_1) W_2$, con un layer nascosto di
# $4C$. Una **gated linear unit** (GLU, unità lineare con gate) ricava da $x$ due vettori
# nascosti e li moltiplica elemento per elemento: uno dei due, dopo una non linearità, decide
# quanto dell'altro passa (fa da *gate*, da cancello). SwiGLU usa la SiLU,
# $\mathrm{silu}(a) = a \cdot \sigma(a)$, una curva liscia simile alla GELU:
#
# $$\mathrm{FFN}_{\mathrm{SwiGLU}}(x) = \big(\mathrm{silu}(x W_{\text{gate}}) \odot x W_{\text{up}}\big)\, W_{\text{down}}$$
#
# Tre matrici invece di due. Shazeer (2020) ha confrontato diverse unità con gate nel
# Transformer e le ha trovate migliori di ReLU e GELU a parità di parametri; ha scelto la
# dimensione nascosta $H = \frac{2}{3} \cdot 4C$ perché tre matrici $C \times H$ contengano
# tanti numeri quanti due matrici $C \times 4C$ ($3 \cdot \frac{8}{3} C^2 = 8 C^2$). H deve
# essere un numero intero, quindi si arrotonda:

# %% [markdown] id=cell-018 en=03c38531
# Nella `FeedForward` del corso, `activation="swiglu"` fa produrre al primo `Linear` entrambi
# i vettori nascosti in una volta (`2H` uscite), e il modulo `SwiGLU`, al posto
# dell'attivazione, li separa; il resto della classe non cambia.
#
# ### Esercizio 2: SwiGLU
#
# Scrivi `my_swiglu(x, w_gate, w_up, w_down)`. I pesi sono memorizzati come quelli di
# `nn.Linear`: `w_gate` e `w_up` hanno forma `(H, C)`, `w_down` ha forma `(C, H)`.

# %% id=cell-019 en=f00dc8f2
def my_swiglu(x, w_gate, w_up, w_down):
    # TODO: silu di x @ w_gate.T, per x @ w_up.T, poi @ w_down.T
    raise NotImplementedError


check_swiglu(my_swiglu)

# %% id=cell-021 en=322716e2
ff = FeedForward(64, activation="swiglu", bias=False)
H = swiglu_hidden(64)
w_gate, w_up = ff.net[0].weight[:H], ff.net[0].weight[H:]
assert_close(ff(xb), solution_swiglu(xb, w_gate, w_up, ff.net[2].weight))
print("FeedForward(activation='swiglu') == la tua formula;", "primo Linear:",
      tuple(ff.net[0].weight.shape), " secondo:", tuple(ff.net[2].weight.shape))

# %% [markdown] id=cell-022 en=eaae336a
# ## RoPE: la posizione come rotazione
#
# GPT-2 somma al vettore del token un vettore appreso per ogni posizione, quindi un modello
# con `block_size = 64` ha 64 di questi vettori e la posizione 64 non la può leggere affatto.
# RoPE (Su e altri, RoFormer, 2021) non mette nessuna posizione nell'ingresso. Invece, dentro
# ogni head di attention, **ruota** ogni query e ogni key di un angolo che cresce con la sua
# posizione. Gli `hs` canali si prendono a coppie, `hs / 2` coppie, e la coppia $i$ (i canali
# $2i$ e $2i+1$) del token in posizione $p$ gira dell'angolo $p\,\theta_i$, con
# $\theta_i = 10000^{-2i/hs}$:
#
# $$\begin{pmatrix} x_{2i}' \\ x_{2i+1}' \end{pmatrix} =
# \begin{pmatrix} \cos p\theta_i & -\sin p\theta_i \\ \sin p\theta_i & \cos p\theta_i \end{pmatrix}
# \begin{pmatrix} x_{2i} \\ x_{2i+1} \end{pmatrix}$$
#
# La coppia 0 gira di 1 radiante per posizione, l'ultima coppia molto lentamente: le coppie
# veloci distinguono le posizioni vicine, quelle lente le posizioni lontane. I value non si
# ruotano.
#
# ### Esercizio 3: la rotazione
#
# Scrivi `my_rope_rotate(x, positions)` per un `x` di forma `(..., T, hs)` e un tensore di
# `T` posizioni. `x[..., 0::2]` contiene il primo canale di ogni coppia, `x[..., 1::2]` il
# secondo.

# %% id=cell-023 en=534887c3
def my_rope_rotate(x, positions):
    # TODO: theta_i = 10000 ** (-2i / hs) per i = 0 .. hs/2 - 1; angoli = posizione * theta
    # (forma (T, hs/2)); ruota ogni coppia; rimetti le coppie al loro posto (torch.stack, flatten)
    raise NotImplementedError


check_rope_rotate(my_rope_rotate)

# %% id=cell-025 en=bfc13fbe
q = torch.randn(1, 4, 10, 16)                                     # (B, nh, T, hs)
assert_close(apply_rope(q, *rope_angles(rope_frequencies(16), 0, 10)),
             solution_rope_rotate(q, torch.arange(10)))
print("apply_rope del corso == la tua rotazione")

# %% [markdown] id=cell-026 en=5375dc31
# ### Perché una rotazione: il punteggio dipende solo dalla distanza
#
# L'attention confronta una query in posizione $m$ con una key in posizione $n$ attraverso
# il loro prodotto scalare. Ruotale entrambe, coppia per coppia: il prodotto scalare di due
# vettori 2-D ruotati dipende solo dall'angolo tra di loro, che è $(m - n)\theta_i$. Quindi
# il punteggio di una query e di una key dipende dalla loro **distanza** $m - n$, non da dove
# si trovano nel testo. La cella qui sotto mette la stessa query e la stessa key in molti
# punti:

# %% id=cell-027 en=724aa465
g = torch.Generator().manual_seed(0)
q, k = torch.randn(16, generator=g), torch.randn(16, generator=g)

def score(m, n):
    qm = solution_rope_rotate(q[None], torch.tensor([m]))[0]
    kn = solution_rope_rotate(k[None], torch.tensor([n]))[0]
    return float(qm @ kn)

for distance in (0, 1, 3, 10):
    scores = [score(n + distance, n) for n in (0, 5, 50, 500)]
    print(f"distanza {distance:>2}: punteggi per n = 0, 5, 50, 500:", "  ".join(f"{s:+.3f}" for s in scores))
    assert max(scores) - min(scores) < 1e-3
print("query e key grezze, senza rotazione:", f"{float(q @ k):+.3f} (= distanza 0)")

# %% [markdown] id=cell-028 en=8c19ee40
# Ogni riga corrisponde a una distanza; lungo una riga il punteggio resta lo stesso (a meno
# degli arrotondamenti del float32, circa 1e-4 alla posizione 500) e cambia da una riga
# all'altra. Muovi lo slider e guarda girare le coppie di una query: la coppia 0 fa molti
# giri del cerchio, l'ultima si muove appena, e nessuna freccia cambia lunghezza.

# %% [markdown] id=cell-030 en=c29e778e
# ### Oltre `block_size`
#
# Un modello con la tabella delle posizioni si ferma a `block_size`. Un modello con RoPE non
# ha tabella, quindi il suo `forward` accetta qualsiasi lunghezza; se lì funzioni bene è
# un'altra questione, perché in addestramento non ha mai visto una distanza oltre
# `block_size - 1`.

# %% id=cell-031 en=100dcc4a
idx = torch.zeros(1, 2 * size["block_size"], dtype=torch.long)
try:
    old(idx)
except ValueError as err:
    print("posizioni apprese:", str(err)[:95], "...")
print("rope:", tuple(new(idx)[0].shape))

# %% [markdown] id=cell-032 en=6e511567
# Con la **KV cache** (la cache delle key e dei value, lezione 08) anche la generazione oltre
# `block_size` funziona in modo nuovo. Con una tabella delle posizioni, quando la finestra
# scorre ogni token cambia posizione, quindi la cache va buttata e ogni passo riesegue il
# modello sull'intera finestra. Con RoPE la cache tiene le ultime `block_size` key e value di
# ogni layer e scarta le più vecchie: una key conservata conserva anche la sua rotazione, e
# poiché un punteggio dipende solo dalla distanza, non c'è nulla da ruotare di nuovo. Nel
# primo layer questo dà esattamente il risultato della finestra tagliata. Nei layer
# successivi una key conservata è stata calcolata quando il suo token vedeva ancora token che
# nel frattempo sono usciti dalla finestra, quindi la cache si porta dietro un po' più di
# storia della finestra tagliata (`tests/test_modern.py` verifica entrambe le cose). La
# lunghezza della cache resta `block_size`:

# %% id=cell-033 en=9e12c5ee
small = GPTLanguageModel(GPTConfig(vocab_size=67, block_size=16, n_embd=32, n_head=4,
                                   n_layer=2, position="rope")).eval()
out = small.generate(torch.zeros(1, 1, dtype=torch.long), 60,
                     generator=torch.Generator().manual_seed(0))
print("generati", out.shape[1] - 1, "token con block_size", small.cfg.block_size)

# %% [markdown] id=cell-034 en=94a5e9a8
# ## Grouped-query attention: key e value condivisi
#
# Nella lezione 05 ogni head aveva la sua query, la sua key e il suo value. Quando un modello
# genera, tiene nella cache tutte le key e tutti i value passati di ogni head, e per i testi
# lunghi è questa cache, non i pesi, a riempire la memoria. La **multi-query attention**
# (Shazeer, 2019) tiene una sola head per le key e una per i value, per tutte le head delle
# query; la **grouped-query attention** (GQA, Ainslie e altri, 2023) ne tiene `n_kv_head`,
# ciascuna condivisa da `n_head / n_kv_head` head delle query. Le query non cambiano. Prima
# dell'attention, ogni head di key e value viene ripetuta una volta per ogni head delle query
# che la usa.
#
# ### Esercizio 4: ripetere key e value
#
# Scrivi `my_repeat_kv(x, n_rep)` per un `x` di forma `(B, n_kv_head, T, hs)`: ogni head
# ripetuta `n_rep` volte di seguito, così che le head delle query `0 .. n_rep-1` ricevano la
# head 0 di key e value.

# %% id=cell-035 en=a7be7c2a
def my_repeat_kv(x, n_rep):
    # TODO: (B, n_kv_head, T, hs) -> (B, n_kv_head * n_rep, T, hs), head 0, 0, 1, 1, ...
    raise NotImplementedError


check_repeat_kv(my_repeat_kv)

# %% [markdown] id=cell-037 en=18869ec7
# Con `n_kv_head = n_head` non si condivide nulla e l'attention è quella della lezione 05 (a
# pesi uguali, uscita uguale); il layer `qkv` si restringe man mano che `n_kv_head` scende:

# %% [markdown] id=cell-039 en=195a5e65
# Quello che si risparmia è la memoria della cache: key e value, 2 tensori per layer,
# ciascuno di `n_kv_head × T × hs` numeri. Ecco la misura sul modello della lezione 08 dopo
# aver letto 64 token, accanto alla formula:

# %% id=cell-040 en=9c8a6ae8
for nkv in (4, 2, 1):
    model = GPTLanguageModel(GPTConfig(**size, n_kv_head=nkv)).eval()
    caches = [KVCache() for _ in model.blocks]
    with torch.no_grad():
        h = model.embed(torch.zeros(1, 64, dtype=torch.long))
        for block, cache in zip(model.blocks, caches):
            h = block(h, cache=cache)                      # ogni blocco riempie la sua cache
    measured = sum(c.nbytes() for c in caches)
    formula = kv_cache_bytes(size["n_layer"], nkv, hs, 64)
    print(f"n_kv_head={nkv}: {measured:>7,} byte misurati, {formula:>7,} secondo la formula")
    assert measured == formula

# %% [markdown] id=cell-041 en=1f4cc8d7
# Per il nostro piccolo modello si parla di kilobyte. Per un modello grande sono gigabyte:
# qui sotto, la forma di Llama 3 8B (32 layer, 32 head delle query da 128 canali, numeri a
# 16 bit) per un solo testo. Con il widget scegli `n_kv_head` e una lunghezza del contesto.

# %% id=cell-042 en=d9a8860a
fig = plot_kv_cache_memory(32, 32, 128, list(range(0, 131073, 8192)), [32, 8, 1],
                           bytes_per_number=2, marked=8192,
                           title="KV cache di un modello con la forma di Llama 3 8B (16 bit, 1 testo)")

# %% [markdown] id=cell-044 en=8e49ed50
# ## Misurato: ogni modifica sul GPT della lezione 08
#
# `scripts/measure_modern_gpt.py` ha addestrato il modello dei confronti della lezione 08 (la
# dimensione vista sopra) così com'è, con ciascuna modifica e con tutte e quattro, partendo
# ogni volta da tre seed. Fa meno passi dei confronti della lezione 08 (400 invece di
# 1.500), così che tutte le sue esecuzioni stiano in una decina di minuti su due core della
# CPU: le loss sono quelle di una fase iniziale dell'addestramento. Due confronti:
#
# - **a parità di passi**: ogni variante si addestra per lo stesso numero di passi;
# - **a parità di tempo**: lo script misura prima il tempo per passo di ogni variante
#   (alternando le varianti, mediana di più giri, tempo CPU di un solo thread), poi addestra
#   ogni variante per il numero di passi che sta nel tempo che serve al modello di base. Una
#   variante più veloce fa più passi.
#
# Per rifare la misura (lo script salva ogni esecuzione appena finisce):
#
# ```bash
# python scripts/measure_modern_gpt.py
# ```

# %% id=cell-045 en=8ee3dea9
modern = load_modern_gpt()
print("per rifarlo:", modern["command"], f"  su: {modern['cpu']}, {modern['threads']} thread")
print("modello:", modern["model"], " seed:", modern["seeds"], " passi:", modern["steps"])
print(modern_table(modern))

# %% [markdown] id=cell-047 en=a0c6964d
# Leggilo con la regola della lezione 08: una differenza conta solo quando gli intervalli dei
# seed non si sovrappongono. La cella stampa, per ogni modifica, la differenza tra le medie
# rispetto al modello di base (*baseline*) e il verdetto, a parità di passi e a parità di
# tempo:

# %% id=cell-048 en=c670917c
base = modern["results"][0]
verdicts = {}
for r in modern["results"][1:]:
    for key in ("equal_steps", "equal_time"):
        c = compare_losses(base[key]["val_losses"], r[key]["val_losses"])
        verdicts[r["variant"], key] = c
        verdict = ("migliore in ogni seed di ogni seed della baseline" if c["apart"] and c["change"] < 0
                   else "peggiore in ogni seed di ogni seed della baseline" if c["apart"]
                   else "gli intervalli si sovrappongono: nessuna differenza dimostrata")
        print(f"{r['variant']:>8}, {key.replace('_', ' '):<11}: media {c['change']:+.2f} "
              f"(dispersione tra i seed {c['spread']:.2f}): {verdict}")

# %% [markdown] id=cell-049 en=64b8c641
# Che cosa mostra il file, letto con questa regola (la cella dopo questo testo verifica ogni
# frase con un `assert`):
#
# - **RoPE** è la modifica che qui paga di più: a parità di passi ogni seed con RoPE ha
#   chiuso sotto ogni seed della baseline, di circa 0,3 in media, cioè molte volte la
#   dispersione tra i seed. Una tabella delle posizioni appresa parte come rumore e va
#   addestrata; la rotazione dice a ogni head la distanza da ogni token precedente fin dal
#   primo passo.
# - **Tutte e quattro insieme** sono migliori a parità di passi più o meno quanto RoPE da
#   sola (entro 0,05): quello che aggiungono le altre tre non si vede sopra RoPE.
# - **SwiGLU** da sola è migliore anche lei a parità di passi, di meno (meno di 0,1 in
#   media), ma in ogni seed.
# - **RMSNorm e GQA** da sole non mostrano differenze a parità di passi: i loro intervalli
#   si sovrappongono a quello della baseline.
# - **A parità di tempo** alcuni verdetti cambiano. RMSNorm, RoPE, SwiGLU e tutte e quattro
#   insieme costano più tempo per passo della baseline su questa CPU (la cella sulla
#   velocità più sotto), quindi hanno fatto meno passi. RMSNorm allora ha chiuso peggio
#   della baseline in ogni seed, e il guadagno di SwiGLU è sparito (gli intervalli si
#   sovrappongono). RoPE e tutte e quattro insieme sono rimaste migliori in ogni seed, con
#   meno passi. GQA qui è stata un po' più veloce per passo, quindi ha fatto qualche passo
#   in più della baseline, e continua a non mostrare differenze.
# - **Che cosa questo non può dire.** Sono esecuzioni brevi di un modello piccolo, in una
#   fase iniziale dell'addestramento. Gli articoli hanno misurato modelli migliaia di volte
#   più grandi, addestrati molto più a lungo. La GQA non ha nemmeno lo scopo di abbassare la
#   loss: fa risparmiare memoria della cache durante la generazione (la sezione sopra). Una
#   modifica che qui non mostra nulla può contare alle loro dimensioni; una che qui costa
#   tempo può costare poco con un kernel scritto apposta (cella successiva).

# %% id=cell-050 en=05c65e8d
def shown(variant, key, better):
    c = verdicts[variant, key]
    return c["apart"] and (c["change"] < 0) == better

def overlaps(variant, key):
    return not verdicts[variant, key]["apart"]

changes = {v: verdicts[v, "equal_steps"]["change"] for v in ("rope", "all four", "swiglu")}
assert shown("rope", "equal_steps", better=True) and -0.35 < changes["rope"] < -0.25
assert changes["rope"] < -3 * verdicts["rope", "equal_steps"]["spread"]
assert shown("all four", "equal_steps", better=True) and abs(changes["all four"] - changes["rope"]) < 0.05
assert shown("swiglu", "equal_steps", better=True) and changes["rope"] < changes["swiglu"] and changes["swiglu"] > -0.1
assert all(overlaps(v, "equal_steps") for v in ("rmsnorm", "gqa"))
steps_at_equal_time = modern["timing"]["equal_time_steps"]
assert all(steps_at_equal_time[v] < modern["steps"] for v in ("rmsnorm", "rope", "swiglu", "all four"))
assert shown("rmsnorm", "equal_time", better=False) and overlaps("swiglu", "equal_time")
assert shown("rope", "equal_time", better=True) and shown("all four", "equal_time", better=True)
assert steps_at_equal_time["gqa"] > modern["steps"] and overlaps("gqa", "equal_time")
print("ogni frase qui sopra vale per", modern["command"])

# %% [markdown] id=cell-051 en=0b00f27f
# **Velocità.** Il tempo per passo che ha fissato i budget a parità di tempo, e le sole
# normalizzazioni (forward e backward su un'attivazione `(B, T, C)` di questo modello),
# presi dal file:

# %% id=cell-052 en=b13891d7
step_time = modern["timing"]["median_seconds_per_step"]
for name, t in step_time.items():
    print(f"{name:<9} {1000 * t:6.1f} ms per passo  ({t / step_time['baseline']:.2f}x la baseline)")
norm_time = modern["norm_seconds"]["median"]
for name, t in norm_time.items():
    print(f"{name:<10} da sola: {1000 * t:.2f} ms  ({t / norm_time['layernorm']:.1f}x nn.LayerNorm)")

# %% [markdown] id=cell-053 en=ee7604bf
# RMSNorm fa meno conti della LayerNorm eppure ha impiegato di più, da sola e nel modello.
# Sulla CPU PyTorch esegue `nn.LayerNorm` come un unico kernel fuso: una sola passata sui
# numeri. La `RMSNorm` del corso è fatta di sei operazioni separate (quadrato, media, somma,
# radice, divisione, prodotto), ognuna con la sua passata, e anche `F.rms_norm` di PyTorch
# qui è stata più lenta di `nn.LayerNorm`. Il risparmio che riporta l'articolo su RMSNorm
# richiede un kernel RMSNorm dedicato, che le librerie per GPU hanno; su questa CPU è la
# parte più vecchia la più veloce.

# %% [markdown] id=cell-055 en=96f5369a
# **RoPE oltre la lunghezza di addestramento.** Lo script ha misurato anche la val loss di
# ogni esecuzione con RoPE su finestre lunghe il doppio di `block_size`, e sulla sola seconda
# metà di quelle finestre (posizioni che il modello non ha mai visto in addestramento):

# %% id=cell-056 en=97c850c0
long = modern["rope_long_context"]
mean = lambda key: sum(r[key] for r in long) / len(long)
for key, what in (("loss_1x", f"finestre di {modern['model']['block_size']} (come addestrato)"),
                  ("loss_2x", f"finestre di {2 * modern['model']['block_size']}"),
                  ("loss_2x_second_half", "solo la loro seconda metà")):
    print(f"{what:<32} val loss media {mean(key):.2f}  (seed: "
          + ", ".join(f"{r[key]:.2f}" for r in long) + ")")

# %% [markdown] id=cell-057 en=afd60eb9
# Oltre la lunghezza di addestramento il modello con RoPE funziona ancora, un po' peggio: la
# loss sulla seconda metà delle finestre lunghe è più alta che dentro la lunghezza di
# addestramento, in ogni seed, ma di meno della metà della distanza tra la baseline e RoPE.
# Una tabella appresa queste finestre non le potrebbe leggere affatto. Non trarne troppe
# conclusioni: dopo 400 passi il modello si appoggia soprattutto agli ultimi
# caratteri, di cui conosce le distanze; un modello che usa token lontani lì incontra angoli
# che non ha mai visto in addestramento. I modelli successivi allungano gli angoli di RoPE
# per i contesti lunghi (Llama 3 usa la base 500.000 invece di 10.000).

# %% [markdown] id=cell-059 en=e196ae30
# ## Da dove vengono le quattro modifiche
#
# Nessuna delle quattro è stata inventata per Llama. Ognuna viene da un articolo che l'ha
# provata sul Transformer originale o su T5, e Llama (2023) le ha messe insieme; da allora
# la maggior parte dei modelli aperti ha tenuto questa combinazione. Le scelte di GPT-2 small
# accanto a quelle di Llama 3 8B (2024):
#
# | parte | GPT-2 small (2019) | Llama 3 8B (2024) | l'idea è nata in |
# |---|---|---|---|
# | normalizzazione | LayerNorm prima di ogni parte, con scala e traslazione | RMSNorm prima di ogni parte, solo scala | Zhang e Sennrich, *Root Mean Square Layer Normalization*, 2019 |
# | posizioni | una tabella appresa di 1.024 vettori, sommata all'ingresso | RoPE in ogni attention (base 500.000), nessuna tabella; contesto di 8.192 token | Su e altri, *RoFormer: Enhanced Transformer with Rotary Position Embedding*, 2021 |
# | feed-forward | GELU, dimensione nascosta 4 × 768 | SwiGLU, dimensione nascosta 14.336 per una larghezza di 4.096 | Shazeer, *GLU Variants Improve Transformer*, 2020 |
# | attention | 12 head, ognuna con le sue key e i suoi value | 32 head delle query che condividono 8 head di key e value | Shazeer, *Fast Transformer Decoding: One Write-Head is All You Need* (multi-query), 2019; Ainslie e altri, *GQA*, 2023 |
# | bias | in ogni Linear e in ogni LayerNorm | nessuno | |
#
# Due numeri di quella tabella, calcolati:

# %% id=cell-060 en=1ebc0243
print(f"la feed-forward di Llama 3 8B: 14,336 / 4,096 = {14336 / 4096} volte la larghezza; "
      f"la regola dei 2/3 darebbe {swiglu_hidden(4096):,}")
full = kv_cache_bytes(32, 32, 128, 8192, bytes_per_number=2)
grouped = kv_cache_bytes(32, 8, 128, 8192, bytes_per_number=2)
print(f"la sua cache per un testo di 8,192 token: {grouped / 2**30:.0f} GiB con 8 head di key e value, "
      f"{full / 2**30:.0f} GiB se ognuna delle 32 head avesse le sue")

# %% [markdown] id=cell-061 en=51dde2cd
# Quindi Llama 3 non mantiene il numero di parametri della feed-forward: è più larga di quanto
# darebbe la regola dei 2/3. E la grouped-query attention divide per 4 la sua cache.
#
# ## Riepilogo
#
# - **RMSNorm** divide ogni vettore per la radice della media dei suoi quadrati e lo
#   riscala: niente media, niente traslazione. Su questa CPU è stata più lenta della
#   LayerNorm fusa di PyTorch e non ha cambiato nulla che si veda nella loss.
# - **RoPE** ruota ogni coppia di canali di query e key di posizione × θ_i, così un
#   punteggio dipende solo dalla distanza tra due token. Non c'è una tabella delle
#   posizioni; il modello legge oltre `block_size`, e la KV cache conserva le sue key quando
#   la finestra scorre. È quella che qui ha pagato di più, a parità di passi e a parità di
#   tempo.
# - **SwiGLU** filtra il layer nascosto con un gate basato sulla SiLU; una dimensione
#   nascosta di 2/3 · 4C lascia invariato il numero di parametri. Qui migliore a parità di
#   passi, ma più lenta per passo su questa CPU: a parità di tempo il guadagno è sparito.
# - **La grouped-query attention** condivide ogni head di key e value tra più head delle
#   query: la cache si riduce di un fattore n_head / n_kv_head, senza differenze nella loss
#   qui.
# - **A parità di tempo i verdetti cambiano.** Su una CPU una modifica paga solo se quello
#   che guadagna per passo supera il tempo che aggiunge a ogni passo: il guadagno di RoPE
#   l'ha superato, quello di SwiGLU no. Solo una misura sulla tua macchina ti dice come va.
#
# **Fine.** Hai costruito un GPT pezzo per pezzo, l'hai addestrato e hai attivato le quattro
# modifiche che separano GPT-2 dai modelli aperti di oggi. Leggi il codice del modello di uno
# di loro (il `model.py` di Llama è di circa 300 righe) e ritrova ogni parte che hai scritto
# qui.
