# Il testo italiano di notebooks/src/05_heads.py (formato: scripts/build_notebooks.py;
# termini: docs/it/glossario.md).

# %% [markdown] id=cell-000 en=dd5cd0de
# # Lezione 05: le head
#
# Nella lezione 04 hai calcolato i pesi dell'attention a partire da query e key. Ora
# racchiudi quel calcolo in un modulo, una **head** (testa di attenzione), fai lavorare più
# head una accanto all'altra e guardi dentro le head di un modello addestrato.
#
# **Cosa imparerai**
# - com'è fatta `Head`: tre layer lineari `key`, `query` e `value`, una maschera causale
#   conservata come buffer e il dropout sui pesi;
# - che cosa legge una head (tutto il suo input) e che cosa scrive (`head_size` canali);
# - come `MultiHeadAttention` fa lavorare le head in parallelo, ne concatena le uscite e le
#   proietta;
# - come `CausalSelfAttention` calcola tutte le head insieme con un solo layer lineare, e
#   come `F.scaled_dot_product_attention` dà lo stesso risultato;
# - che cosa guardano, in una frase, le head del modello addestrato del corso.
#
# **Prerequisiti:** [lezione 04: il trucco della self-attention](04_self_attention_trick.ipynb)
# (softmax mascherata, query e key, la scala 1/√head_size).

# %% [markdown] id=cell-001 en=0ecddf15
# ## Preparazione

# %% id=cell-002 en=d3f94a14 setup
from course_lib import set_language

set_language("it")                       # course_lib ti parlerà in italiano

import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.testing import assert_close

from course_lib import DATA_DIR, CausalSelfAttention, Head, MultiHeadAttention, load_checkpoint
from course_lib.core.checkpoint import read_checkpoint_info
from course_lib.lessons.checks import check_head_forward, check_mha_parameter_count, check_multi_head
from course_lib.lessons.experiments import attention_pattern_stats
from course_lib.lessons.plots import plot_attention_grid, plot_attention_map, plot_qkv_layout
from course_lib.lessons.widgets import attention_map_explorer

torch.manual_seed(1337)
torch.set_printoptions(precision=2, sci_mode=False)

# %% [markdown] id=cell-003 en=d6c59d07
# ## L'input
#
# Una head legge un tensore `x` di forma `(B, T, C)`: `B` sequenze, ciascuna di `T`
# posizioni, e in ogni posizione un vettore di `C = n_embd` canali. Nel modello completo `x`
# contiene l'embedding del token più l'embedding di posizione. Qui al loro posto usiamo
# numeri casuali.

# %% id=cell-004 en=fca89831
B, T, C = 4, 8, 32      # batch, tempo (posizioni), canali (n_embd)
x = torch.randn(B, T, C)
print("x:", tuple(x.shape))

# %% [markdown] id=cell-005 en=ef8dcea2
# ## Una head, un passo alla volta
#
# Una head ha tre layer lineari senza bias. Ognuno trasforma i `C` canali di una posizione
# in `head_size` canali:
#
# - la **query** dice che cosa cerca questa posizione;
# - la **key** dice che cosa contiene questa posizione;
# - il **value** è ciò che questa posizione trasmette alle posizioni che la guardano.

# %% id=cell-006 en=b3e531b3
head_size = 16
key = nn.Linear(C, head_size, bias=False)
query = nn.Linear(C, head_size, bias=False)
value = nn.Linear(C, head_size, bias=False)
k = key(x)      # (B, T, hs)
q = query(x)    # (B, T, hs)
print("key.weight:", tuple(key.weight.shape), " k:", tuple(k.shape), " q:", tuple(q.shape))

# %% [markdown] id=cell-007 en=675c8e29
# L'affinità tra la query della posizione $t$ e la key della posizione $s$ è il prodotto
# scalare $q_t \cdot k_s$. Un solo prodotto di matrici le calcola tutte. Come nella lezione
# 04, moltiplichiamo per $1/\sqrt{\text{head\_size}}$, così la softmax non parte troppo
# appuntita.

# %% id=cell-008 en=d1a21360
wei = q @ k.transpose(-2, -1) * head_size**-0.5   # (B, T, hs) @ (B, hs, T) -> (B, T, T)
print("wei:", tuple(wei.shape))

# %% [markdown] id=cell-009 en=0e7f33f8
# Una posizione può guardare solo se stessa e il passato. La matrice triangolare inferiore
# `tril` segna le coppie permesse; le altre ricevono $-\infty$, che la softmax trasforma in 0.

# %% id=cell-010 en=ecb5681e
tril = torch.tril(torch.ones(T, T, dtype=torch.bool))
wei = wei.masked_fill(~tril, float("-inf"))
wei = F.softmax(wei, dim=-1)                      # ogni riga somma a 1
print(wei[0].detach())

# %% [markdown] id=cell-011 en=466128c6
# L'uscita in ogni posizione è la somma pesata dei value.

# %% id=cell-012 en=4ab549dc
v = value(x)            # (B, T, hs)
out = wei @ v           # (B, T, T) @ (B, T, hs) -> (B, T, hs)
print("v:", tuple(v.shape), " out:", tuple(out.shape))

# %% [markdown] id=cell-013 en=f6b6b04b
# ### Gli stessi passi in un modulo
#
# Bastano due dettagli per trasformare questi passi in un modulo:
#
# - `tril` si registra con `register_buffer`: segue il modulo se lo sposti su una GPU, ma
#   non è un parametro, quindi l'ottimizzatore non lo modifica mai. `persistent=False` lo
#   lascia fuori dai pesi salvati, perché si può ricostruire da `block_size`.
# - `nn.Dropout` sui pesi ne azzera alcuni durante l'addestramento; l'idea è che una
#   posizione non debba dipendere da un'unica altra posizione (la lezione 06 guarda il
#   dropout da vicino).

# %% id=cell-014 en=66270d26
class MyHead(nn.Module):
    def __init__(self, n_embd, head_size, block_size, dropout=0.0):
        super().__init__()
        self.key = nn.Linear(n_embd, head_size, bias=False)
        self.query = nn.Linear(n_embd, head_size, bias=False)
        self.value = nn.Linear(n_embd, head_size, bias=False)
        self.register_buffer("tril", torch.tril(torch.ones(block_size, block_size, dtype=torch.bool)),
                             persistent=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        B, T, C = x.shape
        k, q, v = self.key(x), self.query(x), self.value(x)            # (B, T, hs) ciascuno
        wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5            # (B, T, T)
        wei = wei.masked_fill(~self.tril[:T, :T], float("-inf"))        # vietato guardare avanti
        wei = self.dropout(F.softmax(wei, dim=-1))
        return wei @ v                                                  # (B, T, hs)

# %% [markdown] id=cell-015 en=0df05aad
# `course_lib.Head` è lo stesso modulo. Dai a entrambi gli stessi pesi e confrontali.
# `block_size` (qui 16) è la sequenza più lunga coperta dalla maschera; un input più corto
# ne usa l'angolo `T × T` in alto a sinistra.

# %% id=cell-016 en=e2399359
block_size = 16
my_head = MyHead(C, head_size, block_size)
head = Head(C, head_size, block_size)
head.load_state_dict(my_head.state_dict())
assert_close(my_head(x), head(x))
print("MyHead == course_lib.Head:", tuple(head(x).shape))
print("parametri:", [name for name, _ in head.named_parameters()])
print("buffer:   ", [name for name, _ in head.named_buffers()])
print("salvato in state_dict():", list(head.state_dict()))

# %% [markdown] id=cell-017 en=ef8a1a38
# Con il dropout, i pesi cambiano tra addestramento e valutazione. In modalità di
# valutazione (`.eval()`) il dropout non fa nulla. In modalità di addestramento, con
# `dropout=0.5`, ogni peso viene azzerato con probabilità 0,5 e gli altri vengono
# raddoppiati, quindi una riga non somma più a 1 (una riga può perfino perdere tutti i suoi
# pesi).

# %% id=cell-018 en=7bdb27b8
head_drop = Head(C, head_size, block_size, dropout=0.5)
head_drop.train()
w_train = head_drop.dropout(head_drop.attention_weights(x))
head_drop.eval()
w_eval = head_drop.dropout(head_drop.attention_weights(x))
print("riga 5, valutazione:    ", w_eval[0, 5].detach())
print("riga 5, addestramento:  ", w_train[0, 5].detach())
print("somme delle righe, valutazione:  ", w_eval[0].sum(-1).detach())
print("somme delle righe, addestramento:", w_train[0].sum(-1).detach())

# %% [markdown] id=cell-019 en=8062267c
# ### Esercizio 1: il forward di una head
#
# Scrivi `my_head_forward(x, Wk, Wq, Wv)`. I tre pesi hanno forma `(head_size, n_embd)`,
# come li conserva `nn.Linear`, quindi `k = x @ Wk.T`. Restituisci l'uscita di una head
# causale, di forma `(B, T, head_size)`, senza dropout.

# %% id=cell-020 en=b9abed8b
def my_head_forward(x, Wk, Wq, Wv):
    # TODO: key, query, value; affinità scalate; maschera causale; softmax; somma pesata
    raise NotImplementedError


check_head_forward(my_head_forward)

# %% [markdown] id=cell-022 en=c837923e
# ## Che cosa legge una head, e che cosa scrive
#
# Una descrizione diffusa dice che una head "divide l'input in parti ed elabora ogni parte
# per conto suo". Confrontala con il codice. `key.weight` ha forma `(head_size, n_embd)`:
# ogni canale della key è una somma pesata di **tutti** gli `n_embd` canali dell'input. Se
# una head leggesse solo la sua fetta dell'input, cambiare un canale fuori da quella fetta
# non cambierebbe la sua uscita. Invece la cambia:

# %% id=cell-023 en=db1f6f85
x_changed = x.clone()
x_changed[:, :, C - 1] += 1.0          # cambiamo solo l'ultimo canale dell'input
diff = (head(x_changed) - head(x)).abs().max().item()
print(f"variazione più grande nell'uscita della head: {diff:.4f}")
print("colonne di key.weight tutte a zero:", int((head.key.weight == 0).all(dim=0).sum()))

# %% [markdown] id=cell-024 en=6c44c3c2
# Quindi l'input **non** viene diviso. Ogni head proietta l'intero input, con i propri pesi,
# su `head_size` canali. Ciò che si divide è l'**uscita**: con `n_head` head di
# `head_size = n_embd // n_head` canali, le loro uscite affiancate tornano larghe `n_embd`.
# Head diverse possono imparare a cercare cose diverse perché hanno pesi diversi, non perché
# vedono input diversi.
#
# ## Multi-head attention
#
# `MultiHeadAttention` fa lavorare `n_head` head sullo stesso `x`, concatena le loro uscite
# lungo i canali e applica un layer lineare, `proj`. La proiezione permette all'uscita di
# mescolare ciò che le head hanno trovato. Poi viene il dropout (qui non fa nulla, perché
# `dropout=0`).

# %% id=cell-025 en=0da5b8ed
n_head = 4
hs = C // n_head
heads = nn.ModuleList([Head(C, hs, block_size) for _ in range(n_head)])
outs = [h(x) for h in heads]
print(f"{n_head} head, l'uscita di ciascuna:", tuple(outs[0].shape))
cat = torch.cat(outs, dim=-1)          # affiancate lungo i canali
print("concatenate:", tuple(cat.shape))
proj = nn.Linear(C, C)
y = proj(cat)
print("proiettate:", tuple(y.shape))

# %% [markdown] id=cell-026 en=b70bdceb
# `course_lib.MultiHeadAttention` fa la stessa cosa. Copia dentro i pesi e confronta.

# %% id=cell-027 en=7ffb2895
mha = MultiHeadAttention(C, n_head, block_size)
mha.heads.load_state_dict(heads.state_dict())
mha.proj.load_state_dict(proj.state_dict())
assert_close(mha(x), y)
print("le mie head + cat + proj == course_lib.MultiHeadAttention:", tuple(mha(x).shape))

# %% [markdown] id=cell-028 en=eed2c657
# ### Esercizio 2: concatena e proietta
#
# Scrivi `my_multi_head(x, heads, proj)`: applica a `x` ogni head della lista `heads`,
# concatena le uscite e applica `proj`. Restituisci un tensore di forma `(B, T, n_embd)`.

# %% id=cell-029 en=73dde8e0
def my_multi_head(x, heads, proj):
    # TODO: applica ogni head, concatena lungo i canali, proietta
    raise NotImplementedError


check_multi_head(my_multi_head)

# %% [markdown] id=cell-031 en=32dfefb8
# ### Esercizio 3: conta i parametri
#
# Scrivi `my_count_parameters(n_embd, n_head)`: quanti numeri vengono addestrati in una
# `MultiHeadAttention(n_embd, n_head, block_size)`. Usa le forme, non il modulo.
# (La maschera è un parametro? `block_size` conta?)

# %% id=cell-032 en=41f74984
def my_count_parameters(n_embd, n_head):
    # TODO: i pesi key, query, value delle head, più il peso e il bias di proj
    raise NotImplementedError


check_mha_parameter_count(my_count_parameters)

# %% [solution] id=cell-033 en=a498248a
def solution_count_parameters(n_embd, n_head):
    head_size = n_embd // n_head
    per_head = 3 * n_embd * head_size                   # key, query, value: senza bias
    return n_head * per_head + n_embd * n_embd + n_embd  # proj: peso e bias


check_mha_parameter_count(solution_count_parameters)

# %% [markdown] id=cell-034 en=f70ccf0b
# ## Tutte le head insieme: `CausalSelfAttention`
#
# Far lavorare le head una dopo l'altra in un ciclo Python è chiaro, ma vuol dire tanti
# piccoli prodotti di matrici. Il modello che il corso addestra usa `CausalSelfAttention`,
# che calcola la stessa cosa con pochi prodotti grandi. `from_heads` ne costruisce una con
# gli stessi pesi della nostra `mha`.

# %% id=cell-035 en=eef288ef
csa = CausalSelfAttention.from_heads(mha)
print(csa)
print("qkv.weight:", tuple(csa.qkv.weight.shape))

# %% [markdown] id=cell-036 en=9ebbfe54
# Un solo layer lineare, `qkv`, trasforma `n_embd` canali in `3 * n_embd`. Il suo peso
# impila le righe di tutti i pesi piccoli: prima le query delle head 0, 1, 2, 3, poi le key
# nello stesso ordine, poi i value. Ogni blocco ha `head_size` righe. La cella controlla
# ogni blocco.

# %% id=cell-037 en=2be0ecae
W = csa.qkv.weight
for i, h in enumerate(mha.heads):
    rows = slice(i * hs, (i + 1) * hs)
    assert torch.equal(W[0 * C:1 * C][rows], h.query.weight)
    assert torch.equal(W[1 * C:2 * C][rows], h.key.weight)
    assert torch.equal(W[2 * C:3 * C][rows], h.value.weight)
print(f"qkv.weight = [query delle head 0..{n_head - 1}; key ...; value ...], "
      f"{hs} righe per head e per parte")

# %% [markdown] id=cell-039 en=5a61ac53
# Ora segui le forme. Un solo prodotto dà tutte le query, le key e i value. `split` taglia
# i canali in q, k e v; `view` divide ciascuno in `n_head` gruppi di `head_size`, e
# `transpose` sposta la head in una dimensione di batch. Nota che la divisione avviene
# **dopo** la proiezione dell'intero input, come nelle head separate.

# %% id=cell-040 en=0c2c1a24
qkv = csa.qkv(x)                                   # (B, T, 3C)
q, k, v = qkv.split(C, dim=2)                      # 3 x (B, T, C)
print("qkv(x):", tuple(qkv.shape), " q:", tuple(q.shape))
q, k, v = [t.view(B, T, n_head, hs).transpose(1, 2) for t in (q, k, v)]
print("q per head:", tuple(q.shape), " (B, n_head, T, head_size)")
wei = q @ k.transpose(-2, -1) * hs**-0.5           # tutte le head in un solo prodotto
print("wei:", tuple(wei.shape), " (B, n_head, T, T)")

# %% [markdown] id=cell-041 en=08f31612
# Il resto è maschera, softmax e somma pesata, per tutte le head insieme. PyTorch ha una
# funzione che fa esattamente questo: `F.scaled_dot_product_attention(q, k, v, is_causal=True)`.
# Usa la stessa scala, $1/\sqrt{\text{head\_size}}$, e la stessa maschera causale.

# %% id=cell-042 en=b581f24d
wei = wei.masked_fill(~torch.tril(torch.ones(T, T, dtype=torch.bool)), float("-inf"))
by_hand = F.softmax(wei, dim=-1) @ v               # (B, n_head, T, hs)
fused = F.scaled_dot_product_attention(q, k, v, is_causal=True)
assert_close(by_hand, fused)
assert_close(fused[:, 0], mha.heads[0](x))         # la head 0 del batch = la nostra head 0 separata
print("scaled_dot_product_attention:", tuple(fused.shape), "== a mano == head separate")

# %% [markdown] id=cell-043 en=c63e2a0f
# Affiancando di nuovo le head e proiettando si ottiene l'uscita di `csa`, che è uguale a
# quella di `mha`: tre implementazioni, un solo risultato.

# %% id=cell-044 en=c68975db
y_batched = csa.proj(fused.transpose(1, 2).reshape(B, T, C))   # (B, T, C)
assert_close(y_batched, csa(x))
assert_close(csa(x), mha(x))
print("CausalSelfAttention == MultiHeadAttention:", tuple(csa(x).shape))

# %% [markdown] id=cell-045 en=3b265095
# Stesso risultato, velocità diversa. Misura il tempo di entrambe su un input più grande,
# delle dimensioni del modello del corso (6 head, `n_embd` 192, 128 posizioni). I numeri
# dipendono dal tuo computer.

# %% id=cell-046 en=d7a2403b
# NBVAL_IGNORE_OUTPUT
big_mha = MultiHeadAttention(192, 6, 128).eval()
big_csa = CausalSelfAttention.from_heads(big_mha).eval()
x_big = torch.randn(8, 128, 192)
with torch.no_grad():
    for name, module in (("MultiHeadAttention (ciclo sulle head)", big_mha),
                         ("CausalSelfAttention (in batch)", big_csa)):
        start = time.perf_counter()
        for _ in range(3):
            module(x_big)
        print(f"{name:>38}: {(time.perf_counter() - start) / 3 * 1000:.1f} ms a chiamata")

# %% [markdown] id=cell-047 en=99328315
# ## Dentro un modello addestrato
#
# Il modello del corso è salvato in `data/checkpoints/gpt`. Lo script
# `scripts/train_checkpoint.py` lo ha addestrato sul testo di addestramento; il suo
# `config.json` registra la forma del modello e come è andato l'addestramento (la lezione 08
# esamina quell'addestramento). `attention_maps(idx)` restituisce i pesi di ogni head in ogni
# layer, con forma `(n_layer, B, n_head, T, T)`.

# %% id=cell-048 en=01ad62c3
model, tokenizer = load_checkpoint(DATA_DIR / "checkpoints" / "gpt")
print(model.cfg)
run = read_checkpoint_info(DATA_DIR / "checkpoints" / "gpt")["extra"]
print(f"addestrato per {run['steps']:,} passi, {run['seconds'] / 60:.1f} minuti su {run['device']}")
sentence = "Friends, Romans, countrymen,"
idx = torch.tensor([tokenizer.encode(sentence)])
maps = model.attention_maps(idx)
print("maps:", tuple(maps.shape))

# %% [markdown] id=cell-050 en=fdd88410
# Ogni quadratino è una head; la riga $t$ di un quadratino mostra dove guarda il carattere
# nella posizione $t$. Le head sono diverse tra loro. Per confrontarle con dei numeri,
# misuriamo tre schemi semplici: il peso medio che una posizione dà a se stessa
# (`itself`), al carattere subito prima (`previous`) e al primo carattere (`first`).

# %% id=cell-051 en=dacced4c
stats = attention_pattern_stats(maps[:, 0])        # ciascuna (n_layer, n_head)
for name, table in stats.items():
    print(f"peso medio ({name}):")
    for layer, row in enumerate(table):
        print(f"  layer {layer}: " + "  ".join(f"{v:.2f}" for v in row.tolist()))
print("(layer, head) che danno più di metà del peso al carattere precedente:",
      [tuple(lh) for lh in (stats["previous"] > 0.5).nonzero().tolist()])
print("(layer, head) che danno più di metà del peso al primo carattere:     ",
      [tuple(lh) for lh in (stats["first"] > 0.5).nonzero().tolist()])

# %% [markdown] id=cell-052 en=97126022
# Su questa frase lo schema più netto sta nel layer 0: le head elencate sopra danno la maggior
# parte del loro peso al carattere subito prima, quindi dopo il primo layer ogni posizione
# porta con sé informazione sul suo vicino. Nessuna head dei layer successivi dà al carattere
# precedente, o a se stessa, anche solo metà del suo peso (lo mostrano le tabelle sopra): il
# loro peso si distribuisce su più caratteri. Una di esse (elencata sopra) dà più di metà del
# suo peso al primo carattere del testo. Ecco, a grandezza piena, la head che mette più peso
# sul carattere precedente.

# %% id=cell-053 en=397aa71c
layer, h = divmod(int(stats["previous"].argmax()), model.cfg.n_head)
print(f"layer {layer}, head {h}: peso medio sul carattere precedente "
      f"{stats['previous'][layer, h]:.2f}")
fig = plot_attention_map(maps[layer, 0, h], sentence, title=f"Layer {layer}, head {h}")

# %% [markdown] id=cell-054 en=2c6ba454
# ### Prova tu
#
# Scegli una frase, un layer e una head. Cerca head che formano una diagonale netta (ogni
# carattere guarda se stesso o quello prima), head che tornano sempre sugli stessi pochi
# caratteri (una maiuscola, uno spazio) e head con i pesi distribuiti in modo uniforme.
# L'ultima frase viene dal testo di validazione, su cui il modello non è mai stato
# addestrato; la cella qui sotto trova dove compare ogni frase nel corpus.

# %% id=cell-055 en=38246d07
from course_lib import load_corpus

corpus = load_corpus()                        # la stessa divisione 90% / 10% del checkpoint
split = len(corpus.train_data)                # un carattere è un token
for s in ["Ham.\nTo be, or not to be,", "All the world's a stage,"]:
    at = corpus.text.find(s)
    print(f"{s!r}: al carattere {at:,} di {len(corpus.text):,}; "
          f"{'testo di validazione' if at >= split else 'testo di addestramento'} (la divisione è al carattere {split:,})")

# %% [markdown] id=cell-057 en=8813d51c
# ## Riepilogo
#
# - Una head proietta l'intero input di ogni posizione in una query, una key e un value di
#   `head_size` canali, poi calcola una somma dei value pesata con la softmax dei punteggi
#   scalati e mascherati.
# - La maschera causale è un buffer: segue il modulo, ma non viene mai addestrata.
# - `MultiHeadAttention` fa lavorare `n_head` head sullo stesso input, concatena le loro
#   uscite larghe `head_size` in `n_embd` canali e le proietta con `proj`.
# - `CausalSelfAttention` calcola lo stesso risultato con un solo layer lineare `qkv` e le
#   head come dimensione di batch; `F.scaled_dot_product_attention` fa la softmax mascherata
#   in una sola chiamata.
# - Le head del modello addestrato guardano cose diverse: le mappe lo mostrano.
#
# **Prossima lezione:** la [lezione 06: i blocchi](06_blocks.ipynb) mette l'attention e una
# rete feed-forward in un blocco, e impila i blocchi con le connessioni residue.
