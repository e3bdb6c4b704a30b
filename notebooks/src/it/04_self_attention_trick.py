# Il testo italiano di notebooks/src/04_self_attention_trick.py (formato:
# scripts/build_notebooks.py; termini: docs/it/glossario.md).

# %% [markdown] id=cell-000 en=431a6886
# # Lezione 04: il trucco della self-attention
#
# Nel modello bigramma ogni posizione vedeva solo il proprio token. Per predire meglio, una
# posizione deve usare i token che la precedono. In questa lezione costruiamo l'operazione
# che permette ai token di scambiarsi informazione: una media pesata del passato, scritta
# come un prodotto di matrici.
#
# **Cosa imparerai**
# - perché una posizione può usare i token che la precedono, ma mai quelli che la seguono;
# - tre modi di fare la media dei token precedenti (cicli, un prodotto di matrici,
#   riempimento mascherato e softmax), e che danno tutti e tre gli stessi numeri;
# - come query e key rendono i pesi dipendenti dai dati, e come i value completano una head;
# - perché i punteggi si dividono per $\sqrt{\text{head\_size}}$ (lo mostra la varianza), e
#   quando questo conta;
# - quattro proprietà dell'attention: non conosce le posizioni, le righe di un batch non si
#   mescolano mai, un encoder toglie la maschera, e la cross-attention legge key e value da
#   un'altra sequenza.
#
# **Prerequisiti:** [lezione 03: la softmax](03_softmax.ipynb).

# %% [markdown] id=cell-001 en=0ecddf15
# ## Preparazione

# %% id=cell-002 en=77f5373d setup
from course_lib import set_language

set_language("it")                       # course_lib ti parlerà in italiano

import torch
import torch.nn as nn
import torch.nn.functional as F

from course_lib import DATA_DIR, GPTLanguageModel, Head, load_checkpoint
from course_lib.lessons.checks import check_causal_attention_weights, check_masked_average_weights
from course_lib.lessons.plots import plot_attention_weights, plot_score_variance
from course_lib.lessons.widgets import attention_scaling_explorer

_ = torch.manual_seed(1337)                 # gli stessi numeri casuali a ogni esecuzione

# %% [markdown] id=cell-003 en=7bde1d1b
# ## I token parlano solo con il passato
#
# Nella posizione $t$ il modello predice il token $t+1$. Se la posizione $t$ potesse leggere
# la posizione $t+1$, durante l'addestramento potrebbe copiare la risposta invece di imparare
# a predirla; e quando generiamo testo, il futuro non esiste ancora. Quindi l'informazione
# può arrivare alla posizione $t$ solo dalle posizioni $0, 1, \dots, t$.
#
# Cominciamo con un batch giocattolo: `B` sequenze di `T` posizioni, ogni posizione un
# vettore di `C` numeri (i canali).

# %% id=cell-004 en=4e73686b
B, T, C = 4, 8, 2           # batch, tempo (posizioni), canali
x = torch.randn(B, T, C)
print(x.shape)

# %% [markdown] id=cell-005 en=9993fc2e
# Il modo più semplice con cui la posizione $t$ può raccogliere il suo passato è la **media**
# dei vettori nelle posizioni $0 \dots t$ (un "sacco di parole", *bag of words*: dimentica
# l'ordine, ma è un inizio):
#
# $$\bar{x}[b, t] = \frac{1}{t+1} \sum_{s=0}^{t} x[b, s]$$
#
# ### Versione 1: i cicli

# %% id=cell-006 en=fad97b32
xbow = torch.zeros(B, T, C)
for b in range(B):
    for t in range(T):
        xbow[b, t] = x[b, : t + 1].mean(dim=0)       # (t+1, C) -> (C,)

print("x[0]:\n", x[0])
print("xbow[0]:\n", xbow[0])
torch.testing.assert_close(xbow[0, 0], x[0, 0])        # la posizione 0 fa la media solo di se stessa
torch.testing.assert_close(xbow[0, -1], x[0].mean(dim=0))

# %% [markdown] id=cell-007 en=1d2cb06d
# Due cicli in Python sono lenti. Le stesse somme sono un prodotto di matrici.
#
# ### Versione 2: una matrice triangolare inferiore
#
# Moltiplichiamo per una matrice la cui riga $t$ contiene $\frac{1}{t+1}$ nelle colonne
# $0 \dots t$ e 0 dopo. La riga $t$ del prodotto è allora la media delle righe $0 \dots t$.
# Prima un piccolo esempio:

# %% id=cell-008 en=470d4d9f
a = torch.tril(torch.ones(3, 3))                       # 1 sulla diagonale e sotto
a = a / a.sum(dim=1, keepdim=True)                     # ogni riga somma a 1
b = torch.tensor([[2.0, 7.0], [6.0, 4.0], [6.0, 5.0]])
print("a =\n", a, "\nb =\n", b, "\na @ b =\n", a @ b)

# %% id=cell-009 en=3bb2129d
wei = torch.tril(torch.ones(T, T))
wei = wei / wei.sum(dim=1, keepdim=True)               # (T, T), le righe sommano a 1
xbow2 = wei @ x                 # (T, T) @ (B, T, C): wei vale per ogni b -> (B, T, C)
torch.testing.assert_close(xbow2, xbow)
print("la versione 2 è uguale alla versione 1")

# %% [markdown] id=cell-010 en=6866c0a3
# ### Versione 3: riempimento mascherato con $-\infty$, poi softmax
#
# Partiamo da una matrice di punteggi, tutti 0. Mettiamo a $-\infty$ ogni punteggio sopra la
# diagonale (il futuro), poi applichiamo la softmax a ogni riga. Poiché $e^{-\infty} = 0$, il
# futuro riceve peso 0; i punteggi rimasti sono uguali, quindi si dividono il peso in parti
# uguali.

# %% id=cell-011 en=bb0d2958
tril = torch.tril(torch.ones(T, T))
scores = torch.zeros(T, T)
scores = scores.masked_fill(tril == 0, float("-inf"))  # vietato guardare il futuro
print(scores[:3])
wei = F.softmax(scores, dim=-1)                        # (T, T)
xbow3 = wei @ x                                        # (B, T, C)
torch.testing.assert_close(xbow3, xbow)
print("la versione 3 è uguale alla versione 1")

# %% [markdown] id=cell-012 en=c86f82ca
# La versione 3 sembra una strada più lunga per arrivare alla stessa matrice, ma è la forma
# che usa la self-attention: gli zeri sono **punteggi** (quanto la posizione $s$ interessa
# alla posizione $t$), e tra poco li calcoleremo dai dati. La maschera e la softmax restano
# esattamente come sono.

# %% id=cell-013 en=a7aa466b
fig = plot_attention_weights(wei, title=f"Media del passato: i pesi per T = {T}", annotate=True)

# %% [markdown] id=cell-014 en=f8ad6311
# ### La posizione $t$ vede le posizioni $\le t$, se stessa compresa
#
# In alcuni appunti si legge che la posizione $i$ parla con le posizioni "$< i$". Controlla la
# matrice: la diagonale non è mascherata. La posizione $t$ usa le posizioni $0 \dots t$,
# **compresa se stessa**. Con una maschera stretta (senza la diagonale), la posizione 0 non
# avrebbe nulla da guardare: la sua riga sarebbe tutta $-\infty$, e la softmax darebbe `nan`.

# %% id=cell-015 en=e3c096cf
print("diagonale di wei:", wei.diagonal())
assert (wei.diagonal() > 0).all() and wei[0, 0] == 1
strict = torch.tril(torch.ones(T, T), diagonal=-1)     # uni strettamente sotto la diagonale
print("con una maschera stretta, la riga 0 e la riga 1 sono:\n",
      F.softmax(torch.zeros(T, T).masked_fill(strict == 0, float("-inf")), dim=-1)[:2])

# %% [markdown] id=cell-016 en=2f3ae862
# E il futuro è davvero invisibile: cambia i vettori nelle posizioni 5, 6 e 7, e le medie
# nelle posizioni da 0 a 4 non si muovono.

# %% id=cell-017 en=7b1bd2bb
x_changed = x.clone()
x_changed[:, 5:] = 100.0                               # riscriviamo il futuro
out = wei @ x_changed
torch.testing.assert_close(out[:, :5], xbow3[:, :5])
print(f"posizioni 0-4 invariate; la posizione 5 si è spostata di {(out[:, 5] - xbow3[:, 5]).abs().max():.3f}")

# %% [markdown] id=cell-018 en=e24cbdad
# ### Esercizio 1: la matrice delle medie
#
# Scrivi `my_masked_average_weights(T)`: la matrice float `(T, T)` la cui riga `t` contiene
# $\frac{1}{t+1}$ nelle colonne $0 \dots t$ e 0 nelle altre colonne.

# %% id=cell-019 en=7e1da71d
def my_masked_average_weights(T):
    # TODO: una matrice triangolare inferiore di uni, ogni riga divisa per la sua somma
    raise NotImplementedError


check_masked_average_weights(my_masked_average_weights)

# %% [markdown] id=cell-021 en=e39eb532
# ## Pesi che dipendono dai dati: query · key
#
# Una media semplice tratta allo stesso modo tutti i caratteri precedenti. Ma a una vocale
# può interessare soprattutto la consonante che la precede; a una lettera dopo uno spazio può
# interessare la parola precedente. Così ogni posizione calcola dal proprio vettore $x_t$ due
# vettori di lunghezza `head_size`:
#
# - una **query** $q_t$: che cosa cerca questa posizione;
# - una **key** $k_s$: che cosa offre la posizione $s$.
#
# Il punteggio è il loro prodotto scalare, $q_t \cdot k_s$: grande quando puntano nella stessa
# direzione. I punteggi di tutte le coppie insieme formano la matrice $q k^\top$ di forma
# `(T, T)`. Poi la stessa maschera e la stessa softmax della versione 3.
#
# Vediamolo su un testo vero, con i pesi di query e key **addestrati** di una head nel primo
# layer del GPT del corso. I vettori $x_t$ sono gli embedding dei caratteri nel modello (token
# più posizione, poi una LayerNorm: le lezioni 07 e 08 le spiegano entrambe).

# %% id=cell-022 en=12172538
model, tokenizer = load_checkpoint(DATA_DIR / "checkpoints" / "gpt")
text = "O Romeo, Romeo! wherefore art th"
idx = torch.tensor([tokenizer.encode(text)])           # (1, T)
T_text = idx.size(1)
with torch.no_grad():
    emb = model.token_embedding_table(idx) + model.position_embedding_table(torch.arange(T_text))
    x_text = model.blocks[0].ln1(emb)                  # (1, T, C): ciò che legge l'attention del layer 0
C_model, hs = model.cfg.n_embd, model.cfg.head_size
print(f"T = {T_text} caratteri, n_embd = {C_model}, head_size = {hs}")

# %% [markdown] id=cell-023 en=1661ce7c
# Il modello conserva i pesi di query, key e value di tutte le sue head in un'unica matrice
# (la lezione 05 spiega perché). Ritagliamo le righe della head `h` e le mettiamo in due
# normali layer `nn.Linear`.

# %% id=cell-024 en=e9568e1f
h = 1                                                  # quale head del layer 0
W_q, W_k, _ = model.blocks[0].sa.qkv.weight.split(C_model, dim=0)   # ciascuna (C, C): tutte le head
query = nn.Linear(C_model, hs, bias=False)
key = nn.Linear(C_model, hs, bias=False)
with torch.no_grad():
    query.weight.copy_(W_q[h * hs:(h + 1) * hs])       # (hs, C): le righe della head h
    key.weight.copy_(W_k[h * hs:(h + 1) * hs])
    q = query(x_text)                                  # (1, T, hs)
    k = key(x_text)                                    # (1, T, hs)
print(q.shape, k.shape)

# %% id=cell-025 en=5a1a03e6
mask = torch.tril(torch.ones(T_text, T_text))
with torch.no_grad():
    att = q @ k.transpose(-2, -1) * hs ** -0.5          # (1, T, hs) @ (1, hs, T) -> (1, T, T)
    att = att.masked_fill(mask == 0, float("-inf"))
    att = F.softmax(att, dim=-1)                        # (1, T, T), ogni riga somma a 1
torch.testing.assert_close(att, model.attention_maps(idx)[0, :, h])   # la head h del modello stesso
fig = plot_attention_weights(att[0], labels=list(text), figsize=(9, 8),
                             title=f"Layer 0, head {h} del GPT addestrato")

# %% [markdown] id=cell-026 en=15aa9f26
# Il triangolo grigio è la maschera causale: nessuna posizione prende qualcosa da una
# posizione successiva. Sotto la diagonale le righe non sono più uguali, come invece erano
# nella media semplice. Questa head ha imparato a guardare il **carattere precedente**: nella
# maggior parte delle righe il quadrato più chiaro sta subito a sinistra della diagonale (la
# cella li conta). I numeri qui sotto la confrontano con la media semplice.

# %% id=cell-027 en=233169f5
w_head = att[0]                                          # (T, T)
uniform = mask / mask.sum(dim=1, keepdim=True)           # la media semplice, per confronto
for name, w in (("head", w_head), ("media semplice", uniform)):
    on_self = w.diagonal()[1:].mean()                    # la riga 0 può guardare solo se stessa: la saltiamo
    on_prev = w.diagonal(-1).mean()
    print(f"{name:>13}: peso su se stessa {on_self:.3f}, sulla posizione precedente {on_prev:.3f}, "
          f"più indietro {1 - on_self - on_prev:.3f}")
previous = int((w_head[1:].argmax(dim=-1) == torch.arange(T_text - 1)).sum())
print(f"righe da 1 a {T_text - 1} con il peso più grande sulla posizione precedente: {previous} su "
      f"{T_text - 1}")
for t in (5, 12, 20, T_text - 1):
    best = int(w_head[t].argmax())
    print(f"la posizione {t:>2} {text[t]!r} prende di più dalla posizione {best:>2} {text[best]!r} "
          f"(peso {w_head[t, best]:.3f})")

# %% [markdown] id=cell-028 en=40f84a86
# ## Perché dividere per $\sqrt{\text{head\_size}}$
#
# Il punteggio $q \cdot k = \sum_{i=1}^{hs} q_i k_i$ è una somma di `head_size` termini.
# Supponiamo che gli elementi di $q$ e $k$ siano indipendenti, con media 0 e varianza 1.
# Allora ogni prodotto $q_i k_i$ ha varianza 1, e la varianza di una somma di termini
# indipendenti è la somma delle loro varianze:
#
# $$\mathrm{Var}(q \cdot k) = \text{head\_size}, \qquad
# \mathrm{Var}\!\left(\frac{q \cdot k}{\sqrt{\text{head\_size}}}\right) = 1.$$
#
# Verifichiamolo con vettori casuali:

# %% id=cell-029 en=f64d1a73
g = torch.Generator().manual_seed(0)
sizes = [1, 4, 16, 64, 256, 1024]
var_raw, var_scaled = [], []
for size in sizes:
    qr = torch.randn(4096, size, generator=g)         # 4096 query casuali, varianza unitaria
    kr = torch.randn(4096, size, generator=g)
    dots = (qr * kr).sum(dim=-1)                        # (4096,) un q·k ciascuna
    var_raw.append(dots.var().item())
    var_scaled.append((dots * size ** -0.5).var().item())
    print(f"head_size {size:>4}: Var(q·k) = {var_raw[-1]:8.3f}   "
          f"Var(q·k / sqrt(head_size)) = {var_scaled[-1]:.3f}")

# %% [markdown] id=cell-031 en=a6f20c1a
# Perché i punteggi grandi sono un problema: la softmax di numeri molto sparpagliati è quasi
# **one-hot**. Prendiamo righe di 8 punteggi casuali con varianza 1 e moltiplichiamole per
# $\sqrt{\text{head\_size}}$: otteniamo punteggi sparpagliati quanto quelli non divisi.
# Misuriamo anche quanto i pesi reagiscono ancora a un cambiamento dei punteggi: la derivata
# della softmax è $\partial p_i / \partial z_j = p_i(\delta_{ij} - p_j)$ (verificata più sotto
# con autograd), e ne stampiamo la grandezza (la norma di quella matrice $8 \times 8$), in
# media sulle righe.

# %% id=cell-032 en=fb6a0995
g = torch.Generator().manual_seed(1)
rows = torch.randn(2000, 8, generator=g)                 # 2000 righe di 8 punteggi, varianza 1
for size in (1, 64, 1024):
    w = F.softmax(rows * size ** 0.5, dim=-1)            # sparpagliati come q·k senza divisione
    jac = torch.diag_embed(w) - w[:, :, None] * w[:, None, :]   # (2000, 8, 8): dp_i / dz_j
    print(f"std {size ** 0.5:>4.0f} (head_size {size:>4}, senza scala): peso più grande in media "
          f"{w.max(dim=-1).values.mean():.3f}, grandezza del gradiente {jac.norm(dim=(1, 2)).mean():.3f}")
z0 = rows[0] * 8.0
w0 = F.softmax(z0, dim=-1)
autograd_jac = torch.autograd.functional.jacobian(lambda z: F.softmax(z, dim=-1), z0)
torch.testing.assert_close(autograd_jac, torch.diag(w0) - w0[:, None] * w0[None, :])

# %% [markdown] id=cell-033 en=971d78cd
# Pesi quasi one-hot vogliono dire che ogni posizione copia un'unica altra posizione invece
# di mescolarne diverse. E il gradiente si riduce man mano che i pesi si saturano vicino a 0
# o a 1, quindi l'ottimizzatore riceve pochissimo segnale da cui imparare i punteggi.
# Dividere per $\sqrt{\text{head\_size}}$ elimina questa crescita: per query e key con
# varianza 1, la dispersione dei punteggi non dipende più dalla dimensione della head, e una
# head larga resta morbida quanto una stretta.
#
# ### Quando la scala conta nel GPT del corso
#
# Il ragionamento presuppone elementi di $q$ e $k$ con varianza 1. Il GPT del corso non parte
# da lì: i suoi pesi iniziano con deviazione standard 0,02, quindi le sue query e key
# iniziano piccole. Misuriamo entrambi i casi sul layer 0 e sulla nostra frase, per tutte le
# sue head: un GPT nuovo, non addestrato, con le stesse dimensioni, e quello addestrato. Il
# "peso più grande" è la media, sulle righe da 1 a T - 1, del peso di attenzione più grande
# di ogni riga; con la media semplice (nessuna preferenza) sarebbe il numero stampato per
# ultimo.

# %% id=cell-034 en=04444994
def layer0_scores(m):
    """I punteggi grezzi q·k del layer 0 per la nostra frase, per ogni head: (n_head, T, T), e q, k."""
    with torch.no_grad():
        emb = m.token_embedding_table(idx) + m.position_embedding_table(torch.arange(T_text))
        q_all, k_all, _ = m.blocks[0].sa.qkv(m.blocks[0].ln1(emb)).split(C_model, dim=2)
    n_head = m.cfg.n_head
    q_all = q_all.view(T_text, n_head, hs).transpose(0, 1)        # (n_head, T, hs)
    k_all = k_all.view(T_text, n_head, hs).transpose(0, 1)
    return q_all @ k_all.transpose(-2, -1), q_all, k_all         # (n_head, T, T)


def largest_weight(scores):
    w = F.softmax(scores.masked_fill(mask == 0, float("-inf")), dim=-1)
    return w[:, 1:].max(dim=-1).values.mean()                    # la riga 0 vale sempre 1: la saltiamo

# %% id=cell-035 en=b827fefc
torch.manual_seed(0)
untrained = GPTLanguageModel(model.cfg)                          # le stesse dimensioni, pesi con std 0.02
below = mask.bool()
for name, m in (("non addestrato", untrained), ("addestrato", model)):
    raw, q_all, k_all = layer0_scores(m)
    print(f"{name:>9}: Var(q) {q_all.var():.3f}, Var(k) {k_all.var():.3f}, Var(q·k) "
          f"{raw[:, below].var():7.3f}; peso più grande senza scala {largest_weight(raw):.3f}, "
          f"con scala {largest_weight(raw * hs ** -0.5):.3f}")
print(f"media semplice: peso più grande {uniform[1:].max(dim=-1).values.mean():.3f}")

# %% [markdown] id=cell-036 en=1d2d87e7
# (I punteggi addestrati variano più di quanto direbbe head_size × 1 = 32: dopo
# l'addestramento una query e le key che cerca non sono più indipendenti; sono fatte apposta
# per combaciare.)
#
# Nel modello non addestrato, query e key hanno una varianza molto sotto 1 e i punteggi
# grezzi sono già piccoli: la softmax è morbida con o senza la scala, ed entrambi i pesi più
# grandi sono lontani da 1 e vicini a quello della media semplice. Qui all'inizio non è la
# scala a salvare la situazione: ci pensano i pesi iniziali piccoli. Dopo l'addestramento gli
# elementi di $q$ e $k$ hanno una varianza di circa 1 e i punteggi grezzi sono grandi: senza
# la scala, le stesse query e key darebbero pesi molto più appuntiti (stampati sopra). È
# questo il regime di cui parla il ragionamento sulla varianza, ed è quello a cui arriva
# l'addestramento: la scala tiene i punteggi nell'intervallo in cui la softmax mescola ancora
# le posizioni e lascia passare un gradiente, qualunque sia la dimensione della head.
#
# **Prova tu.** Il widget usa query e key con varianza 1. Metti `head_size` a 256 o 1024 e
# togli la spunta alla scala: le righe diventano quasi one-hot (il peso più grande in media
# si avvicina a 1). Rimetti la spunta: i pesi si distribuiscono, per ogni dimensione della
# head.

# %% [markdown] id=cell-038 en=34bfe161
# Una nota sul codice della lezione video. Nel video, la classe `Head` scala per `C**-0.5`,
# dove `C` è la dimensione dell'embedding `n_embd`; il `gpt.py` finale del repository della
# lezione scala invece per `k.shape[-1]**-0.5`, cioè la dimensione della head. La ragione
# della scala è la lunghezza dei vettori nel prodotto scalare, che è `head_size`, quindi
# anche `course_lib` usa `head_size`. Con più di una head le due cose differiscono (qui
# `n_embd` = 192, `head_size` = 32); la cella dopo l'esercizio mostra quanto cambiano i pesi.
#
# ### Esercizio 2: i pesi dell'attention causale
#
# Scrivi `my_causal_attention_weights(q, k)` per `q` e `k` di forma `(B, T, head_size)`: i
# pesi `(B, T, T)`
# $\mathrm{softmax}\big(\mathrm{mask}(q k^\top / \sqrt{\text{head\_size}})\big)$, dove la
# maschera mette a $-\infty$ i punteggi sopra la diagonale.

# %% id=cell-039 en=e313c6aa
def my_causal_attention_weights(q, k):
    # TODO: punteggi da q e k, scalati, mascherati (futuro -> -inf), softmax sull'ultima dimensione
    raise NotImplementedError


check_causal_attention_weights(my_causal_attention_weights)

# %% [markdown] id=cell-041 en=7706e7a7
# ## La `Head` della libreria
#
# `course_lib.Head` contiene una `query`, una `key` e un `value`, e calcola questi pesi in
# `attention_weights`. Dalle gli stessi pesi di query e key, e restituisce la nostra matrice
# costruita a mano. Scalando invece con `n_embd`, i pesi sarebbero diversi.

# %% id=cell-042 en=e071c7c3
head = Head(n_embd=C_model, head_size=hs, block_size=model.cfg.block_size)
with torch.no_grad():
    head.query.weight.copy_(query.weight)
    head.key.weight.copy_(key.weight)
    torch.testing.assert_close(head.attention_weights(x_text), att)
    with_n_embd = F.softmax((q @ k.transpose(-2, -1) * C_model ** -0.5)
                            .masked_fill(mask == 0, float("-inf")), dim=-1)
print("Head.attention_weights è uguale ai pesi costruiti a mano")
print(f"scalare per n_embd li cambierebbe fino a {(with_n_embd - att).abs().max():.3f}")

# %% [markdown] id=cell-043 en=5a7ac351
# ## I value: una head completa
#
# I pesi dicono quanto la posizione $t$ prende da ogni posizione $s$. Che cosa prende è un
# terzo vettore, il **value** $v_s$ (ciò che la posizione $s$ trasmette), prodotto da un
# terzo layer lineare. L'uscita della head nella posizione $t$ è la somma pesata dei value,
# $\text{out}_t = \sum_s w_{ts} v_s$, per tutte le posizioni insieme: `out = wei @ v`. Ecco
# una head di self-attention completa: `Head.forward` calcola esattamente questo.

# %% id=cell-044 en=8b00e491
W_v = model.blocks[0].sa.qkv.weight.split(C_model, dim=0)[2]   # (C, C): i value di tutte le head
value = nn.Linear(C_model, hs, bias=False)
with torch.no_grad():
    value.weight.copy_(W_v[h * hs:(h + 1) * hs])               # (hs, C): le righe della head h
    head.value.weight.copy_(value.weight)
    v = value(x_text)                                          # (1, T, hs)
    out = att @ v                                              # (1, T, T) @ (1, T, hs) -> (1, T, hs)
    torch.testing.assert_close(head(x_text), out)
    torch.testing.assert_close(out[0, 0], v[0, 0])             # la posizione 0 può prendere solo da se stessa
    t = 5
    mix = sum(att[0, t, s] * v[0, s] for s in range(t + 1))     # la somma pesata, scritta per esteso
    torch.testing.assert_close(out[0, t], mix)
print(f"v: {tuple(v.shape)}, out = wei @ v: {tuple(out.shape)}; Head(x) dà lo stesso risultato")
print(f"out[{t}] = " + " + ".join(f"{att[0, t, s]:.2f}·v[{s}]" for s in range(t + 1)))

# %% [markdown] id=cell-045 en=263fdc2e
# ## Quattro proprietà dell'attention
#
# La lezione video chiude questa parte con alcune osservazioni su che cos'è l'attention.
# Ognuna è una proprietà del calcolo qui sopra, quindi ognuna si può mostrare con una cella.
# La funzione qui sotto è quel calcolo, con la maschera facoltativa e con key e value che
# possono venire da un'altra sequenza, `source`.

# %% id=cell-046 en=aa7da8ef
def attend(x, source=None, causal=True):
    """Una head, con i pesi della head h: query da x, key e value da source."""
    source = x if source is None else source
    q, k, v = query(x), key(source), value(source)             # (B, Tq, hs), (B, Tk, hs) x 2
    wei = q @ k.transpose(-2, -1) * hs ** -0.5                 # (B, Tq, Tk)
    if causal:
        Tq, Tk = wei.shape[-2:]
        wei = wei.masked_fill(torch.tril(torch.ones(Tq, Tk)) == 0, float("-inf"))
    wei = F.softmax(wei, dim=-1)
    return wei @ v, wei                                        # (B, Tq, hs), (B, Tq, Tk)

# %% [markdown] id=cell-047 en=afaedb88
# **1. L'attention non ha nozione di posizione.** Lavora su un insieme di vettori. Permuta le
# posizioni dell'input e, senza maschera, le uscite sono gli stessi vettori, permutati allo
# stesso modo. Con la maschera causale non è così: la maschera è l'unica cosa in una head che
# conosce l'ordine (chi può guardare chi). Per questo un GPT aggiunge a ogni token un
# embedding di posizione (lezione 08); il nostro `x_text` ce l'ha già.

# %% id=cell-048 en=91efc6a4
perm = torch.randperm(T_text, generator=torch.Generator().manual_seed(0))
with torch.no_grad():
    plain, _ = attend(x_text, causal=False)
    shuffled, _ = attend(x_text[:, perm], causal=False)
    torch.testing.assert_close(shuffled, plain[:, perm])       # le uscite si permutano con gli input
    causal_plain, _ = attend(x_text)
    causal_shuffled, _ = attend(x_text[:, perm])
print("senza maschera: input permutati danno le stesse uscite, permutate allo stesso modo")
print(f"con la maschera causale: differiscono fino a {(causal_shuffled - causal_plain[:, perm]).abs().max():.3f}")

# %% [markdown] id=cell-049 en=f2255ba5
# **2. Le righe di un batch non parlano mai tra loro.** Ogni prodotto di matrici lavora dentro
# una riga del batch: `(B, T, T) @ (B, T, hs)` moltiplica la riga `b` per la riga `b`. Cambia
# tutto in una sequenza del batch, e le uscite dell'altra sequenza non si muovono.

# %% id=cell-050 en=1a0198b7
other = tokenizer.encode("To be, or not to be: that is the")[:T_text]
with torch.no_grad():
    emb2 = model.token_embedding_table(torch.tensor([other])) + \
        model.position_embedding_table(torch.arange(T_text))
    batch = torch.cat([x_text, model.blocks[0].ln1(emb2)])     # (2, T, C): due frasi
    out_batch, _ = attend(batch)
    changed = batch.clone()
    changed[1] = torch.randn(T_text, C_model)                  # sostituiamo la seconda frase
    out_changed, _ = attend(changed)
torch.testing.assert_close(out_batch[0], out_changed[0])
torch.testing.assert_close(out_batch[0], attend(x_text)[0][0])  # come da sola
print(f"riga 0 invariata; la riga 1 si è spostata fino a {(out_changed[1] - out_batch[1]).abs().max():.3f}")

# %% [markdown] id=cell-051 en=a8598488
# **3. Un blocco encoder toglie la maschera.** Un GPT è un *decoder*: scrive il testo un token
# dopo l'altro, quindi una posizione non deve vedere il futuro. Un modello che legge soltanto
# un testo intero (per classificarlo, o per tradurlo: un *encoder*) lascia che ogni posizione
# veda tutte le altre: la stessa head, senza maschera. Allora ogni peso è maggiore di 0, e
# cambiare l'ultima posizione cambia le uscite in tutte le posizioni.

# %% id=cell-052 en=97ea5a85
with torch.no_grad():
    _, wei_dec = attend(x_text)
    out_enc, wei_enc = attend(x_text, causal=False)
    x_last = x_text.clone()
    x_last[:, -1] += 1.0                                       # cambiamo solo l'ultima posizione
    out_enc2, _ = attend(x_last, causal=False)
    out_dec2, _ = attend(x_last)
above = ~mask.bool()
print(f"decoder: pesi sopra la diagonale tutti 0: {bool((wei_dec[0][above] == 0).all())}; "
      f"encoder: tutti maggiori di 0: {bool((wei_enc[0] > 0).all())}")
moved_enc = (out_enc2 - out_enc)[0, :-1].abs().amax(dim=-1)   # (T - 1,): per ogni posizione precedente
print(f"dopo aver cambiato l'ultima posizione: nell'encoder, ognuna delle posizioni da 0 a {T_text - 2} "
      f"si sposta da {moved_enc.min():.4f} a {moved_enc.max():.4f}; nel decoder nessuna si muove: "
      f"{torch.equal(out_dec2[0, :-1], causal_plain[0, :-1])}")

# %% [markdown] id=cell-053 en=4d44a541
# **4. La cross-attention prende key e value da un'altra parte.** Nella *self*-attention
# query, key e value vengono tutte dallo stesso `x`. Nella *cross*-attention (il Transformer
# originale la usa per tradurre) le query vengono da `x`, e key e value da un'altra sequenza,
# per esempio l'uscita dell'encoder per la frase da tradurre. Nient'altro cambia; i pesi
# diventano `(T_x, T_source)`, e la sequenza sorgente può avere un'altra lunghezza.

# %% id=cell-054 en=15b63885
with torch.no_grad():
    source = model.blocks[0].ln1(emb2[:, :20])                 # (1, 20, C): 20 altre posizioni
    out_cross, wei_cross = attend(x_text, source=source, causal=False)
print(f"query da x {tuple(x_text.shape)}, key e value dalla sorgente "
      f"{tuple(source.shape)}: pesi {tuple(wei_cross.shape)}, uscita {tuple(out_cross.shape)}")
torch.testing.assert_close(wei_cross.sum(dim=-1), torch.ones(1, T_text))

# %% [markdown] id=cell-055 en=dc8522ce
# ## Riepilogo
#
# - La posizione $t$ può usare le posizioni $0 \dots t$ (se stessa compresa), mai quelle
#   successive.
# - La media del passato è un prodotto per una matrice triangolare inferiore con le righe
#   normalizzate; il riempimento mascherato con $-\infty$ seguito dalla softmax costruisce la
#   stessa matrice a partire dai punteggi.
# - La self-attention fa dipendere i punteggi dai dati: $q_t \cdot k_s$, poi la stessa
#   maschera e la stessa softmax.
# - L'uscita è la somma pesata dei value, `wei @ v`: una head completa.
# - Dividere i punteggi per $\sqrt{\text{head\_size}}$ rende la loro varianza indipendente
#   dalla dimensione della head. Per query e key con varianza 1 (il GPT addestrato ci va
#   vicino) impedisce che la softmax diventi quasi one-hot; con i pesi iniziali piccoli del
#   GPT del corso i punteggi sono comunque piccoli, e la scala cambia poco.
# - L'attention non conosce le posizioni (gliele danno gli embedding di posizione), non
#   mescola mai le righe di un batch, in un encoder toglie la maschera, e nella
#   cross-attention legge key e value da un'altra sequenza.
#
# **Prossima lezione:** la [lezione 05: le head](05_heads.ipynb) costruisce `Head` e mette
# diverse head una accanto all'altra.
