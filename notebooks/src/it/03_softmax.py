# Il testo italiano di notebooks/src/03_softmax.py (formato: scripts/build_notebooks.py;
# termini: docs/it/glossario.md).

# %% [markdown] id=cell-000 en=0fd8e5ed
# # Lezione 03: la softmax
#
# Un modello linguistico non restituisce un carattere. Per ogni posizione restituisce un
# punteggio per ciascun carattere del vocabolario: i **logit**. In questa lezione trasformi
# questi punteggi in probabilità, scegli da lì il carattere successivo e misuri quanto erano
# buone quelle probabilità.
#
# **Cosa imparerai**
# - la formula della softmax, e perché i suoi valori sono positivi e sommano a uno;
# - perché un'implementazione diretta va in overflow in float32, e come si rimedia
#   (sottraendo il massimo);
# - che cosa fa la **temperatura** alle probabilità, e perché una temperatura pari a 0 è un
#   errore;
# - il campionamento con `torch.multinomial`, a confronto con la scelta del carattere più
#   probabile (argmax);
# - come si combinano softmax e cross-entropy, e perché la loss vuole i logit.
#
# **Prerequisiti:** [lezione 02: il modello bigramma](02_bigram.ipynb), dove un modello ha
# prodotto per la prima volta logit e una loss di cross-entropy.

# %% [markdown] id=cell-001 en=786543ba
# ## Preparazione
#
# Usiamo il GPT addestrato del corso (lo costruiremo nella lezione 08), così i logit di
# questa lezione sono veri. Qui contano solo le sue uscite: come è fatto dentro lo vedremo
# più avanti.

# %% id=cell-002 en=ed29cfb6 setup
from course_lib import set_language

set_language("it")                       # course_lib ti parlerà in italiano

import math

import torch
import torch.nn.functional as F

from course_lib import (DATA_DIR, generate_text, get_batch, load_checkpoint, load_corpus,
                        next_token_probs, sample_next_token, top_k_filter)
from course_lib.lessons.checks import check_cross_entropy, check_stable_softmax, check_temperature_probs
from course_lib.lessons.plots import (plot_logits_and_probs, plot_sample_frequencies,
                              plot_temperature_distributions)
from course_lib.lessons.widgets import temperature_explorer

# questa lezione fa girare il modello su un testo breve alla volta: un solo thread della CPU
# è più veloce di due che si aspettano a vicenda (e molto più veloce su una macchina carica)
torch.set_num_threads(1)
torch.manual_seed(1337)
model, tokenizer = load_checkpoint(DATA_DIR / "checkpoints" / "gpt")
corpus = load_corpus(tokenizer=tokenizer)
chars, V = tokenizer.chars, tokenizer.vocab_size
print(f"un GPT addestrato con {model.num_parameters():,} parametri; vocab_size V = {V}")

# %% [markdown] id=cell-003 en=08e56d85
# ## I logit: un punteggio per carattere
#
# Diamo al modello un contesto e teniamo i punteggi dell'ultima posizione: riguardano il
# carattere che viene dopo.

# %% id=cell-004 en=bd043781
def last_logits(text):
    """I logit (V,) del modello per il carattere che segue `text`."""
    idx = torch.tensor([tokenizer.encode(text)])          # (1, T)
    with torch.no_grad():
        logits, _ = model(idx)                            # (1, T, V)
    return logits[0, -1]                                  # (V,)


context = "O Romeo, Romeo! wherefore art th"
z = last_logits(context)
print(f"forma {tuple(z.shape)}, min {z.min():.3f}, max {z.max():.3f}, somma {z.sum():.3f}")
print(f"{int((z < 0).sum())} dei {V} logit sono negativi")

# %% [markdown] id=cell-005 en=58704ef5
# I logit **non** sono probabilità, e nemmeno verosimiglianze: possono essere negativi, e la
# loro somma non significa nulla. Contano solo le differenze tra loro, come vedrai.
#
# ## Dai logit alle probabilità
#
# La softmax trasforma un vettore di $V$ logit $z$ in $V$ probabilità:
#
# $$p_i = \mathrm{softmax}(z)_i = \frac{e^{z_i}}{\sum_{j=1}^{V} e^{z_j}}$$
#
# - Ogni $p_i$ è positiva, perché $e^{x} > 0$ per ogni $x$ reale.
# - Sommano a uno: $\sum_i p_i = \frac{\sum_i e^{z_i}}{\sum_j e^{z_j}} = 1$, perché il
#   denominatore è la somma di tutti i numeratori.
# - Un logit più grande dà una probabilità più grande ($e^x$ cresce con $x$), quindi l'ordine
#   dei caratteri non cambia.

# %% id=cell-006 en=1bbcffdd
p = z.exp() / z.exp().sum()
print(f"p più piccola = {p.min():.2e}, p più grande = {p.max():.4f}, somma = {p.sum():.4f}")
assert (p > 0).all()
torch.testing.assert_close(p.sum(), torch.tensor(1.0))
torch.testing.assert_close(p, F.softmax(z, dim=-1))
assert p.argmax() == z.argmax()                            # lo stesso carattere più probabile
assert (p[z.argsort()].diff() >= 0).all()                  # ordinati per logit = ordinati per p
print(f"carattere successivo più probabile: {chars[int(p.argmax())]!r}")

# %% id=cell-007 en=c888244e
fig = plot_logits_and_probs(z, chars, top=20, title=f"Dopo {context!r}")

# %% [markdown] id=cell-008 en=8aec2896
# La softmax conserva la classifica, ma non è un semplice cambio di scala: trasforma logit
# negativi in probabilità positive e allarga le distanze tra loro (se cambiasse solo la
# scala, `p / z` sarebbe lo stesso numero per ogni carattere; la cella qui sotto ne stampa
# l'intervallo). E non "sceglie" nulla: il carattere più probabile è già quello con il logit
# più grande. Quello che la softmax aggiunge è una scala su cui possiamo campionare e
# misurare una loss.
#
# Contano solo le differenze tra i logit: $p_i / p_j = e^{z_i} / e^{z_j} = e^{z_i - z_j}$.
# Un logit più grande di 1 rende un carattere $e \approx 2{,}718$ volte più probabile.

# %% id=cell-009 en=45bbc01b
ratio = p / z
print(f"p / z va da {ratio.min():.4f} a {ratio.max():.4f}: non è un cambio di scala")
top2 = z.topk(2).indices
i, j = int(top2[0]), int(top2[1])
print(f"{chars[i]!r}: z = {z[i]:.3f}, p = {p[i]:.4f}    {chars[j]!r}: z = {z[j]:.3f}, "
      f"p = {p[j]:.4f}")
print(f"p_i / p_j = {p[i] / p[j]:.4f}   e^(z_i - z_j) = {math.exp(z[i] - z[j]):.4f}")

# %% [markdown] id=cell-010 en=b7f885b5
# ## Stabilità numerica
#
# Un numero float32 non può superare circa $3{,}4 \times 10^{38}$, ed $e^{x}$ oltrepassa
# questo limite già per $x \approx 88{,}7$. Oltre, `exp` restituisce `inf`.

# %% id=cell-011 en=f40fe0a2
biggest = torch.finfo(torch.float32).max
print(f"il float32 più grande: {biggest:.4e};  il suo logaritmo: {math.log(biggest):.4f}")
print("exp([88, 89]) in float32:", torch.exp(torch.tensor([88.0, 89.0])))

# %% [markdown] id=cell-012 en=ecd0a500
# Aggiungi 100 a ogni logit. Le differenze non cambiano, quindi non dovrebbero cambiare
# nemmeno le probabilità. La formula diretta invece si rompe: ogni $e^{z_i}$ va in overflow a
# $\infty$, e $\infty / \infty$ fa `nan` (*not a number*). Anche nell'altra direzione si
# rompe, ma solo se si va abbastanza lontano: float32 ha numeri "subnormali" minuscoli, fino a
# circa $1{,}4 \times 10^{-45}$ ($e^{-103}$), quindi sottraendo 100 vanno a 0 solo gli
# esponenziali dei logit più piccoli; il risultato resta finito e appena impreciso.
# Sottraendo 200 ogni esponenziale va a 0, e $0 / 0$ fa `nan`.

# %% id=cell-013 en=9db50e8a
def softmax_naive(z):
    return z.exp() / z.exp().sum()


tiniest = torch.nextafter(torch.tensor(0.0), torch.tensor(1.0))     # il float32 > 0 più piccolo
print(f"il float32 positivo più piccolo: {tiniest:.2e} = e^{math.log(tiniest):.1f}")
for shift in (100.0, -100.0, -200.0):
    e = (z + shift).exp()
    naive = softmax_naive(z + shift)
    # l'errore esatto di un esponenziale subnormale dipende dal kernel exp della CPU: stampiamo un limite
    off = f"< 1e-4: {bool((naive - p).abs().max() < 1e-4)}" if not naive.isnan().any() else "-"
    print(f"z {shift:+6.0f}: {int(torch.isinf(e).sum()):>2} esponenziali su {V} sono inf, "
          f"{int((e == 0).sum()):>2} sono 0; softmax diretta: {int(naive.isnan().sum()):>2} nan, "
          f"errore massimo {off}; F.softmax uguale a softmax(z): "
          f"{torch.allclose(F.softmax(z + shift, dim=-1), p, atol=1e-6)}")

# %% [markdown] id=cell-014 en=c798f27f
# **Il rimedio: sottrarre il massimo.** Per qualunque costante $c$,
#
# $$\frac{e^{z_i - c}}{\sum_j e^{z_j - c}} = \frac{e^{-c}\, e^{z_i}}{e^{-c} \sum_j e^{z_j}}
# = \frac{e^{z_i}}{\sum_j e^{z_j}},$$
#
# quindi sottrarre una costante non cambia mai il risultato. Con $c = \max_j z_j$
# l'esponenziale più grande è $e^0 = 1$: niente va in overflow, e la somma vale almeno 1,
# quindi non è mai 0. `F.softmax` lo fa già per te.

# %% id=cell-015 en=77f23072
def softmax_stable(z):
    e = (z - z.max()).exp()             # ogni esponente <= 0, il più grande è esattamente 0
    return e / e.sum()


for c in (-1000.0, -200.0, 0.0, 100.0, 1000.0):
    q = softmax_stable(z + c)
    gap = (q - p).abs().max()
    print(f"c = {c:>7}: qualche nan? {bool(q.isnan().any())}   "
          f"max |softmax(z + c) - softmax(z)| < 0.0001? {bool(gap < 1e-4)}")
step = torch.nextafter(torch.tensor(1000.0), torch.tensor(2000.0)) - 1000.0
print(f"vicino a 1000, due float32 consecutivi distano {step:.5f}")

# %% [markdown] id=cell-016 en=720078ea
# Uguali a meno degli arrotondamenti: già $z + c$ viene arrotondato a float32, e vicino a
# 1000 due numeri float32 consecutivi distano appena 0,00006, quindi un po' della precisione
# dei logit si perde prima ancora che la softmax cominci.
#
# ### Esercizio 1: una softmax stabile
#
# Scrivi `my_softmax(x)` per un tensore di forma qualsiasi: applica la softmax lungo
# l'**ultima** dimensione, così che ogni riga sommi a 1. Sottrai a ogni riga il suo massimo
# (`x.max(dim=-1, keepdim=True).values`) e non modificare `x` sul posto. Scrivila tu: la
# verifica rifiuta `torch.softmax` e `F.softmax`, e prova righe con valori molto distanti,
# come `[0, 100, 200]`, dove sottrarre la media o il minimo non basta.

# %% id=cell-017 en=177f3a25
def my_softmax(x):
    # TODO: exp(x - massimo della riga) diviso per la sua somma lungo l'ultima dimensione
    raise NotImplementedError


check_stable_softmax(my_softmax)

# %% [markdown] id=cell-019 en=91d843e2
# ## La temperatura
#
# Prima della softmax, dividi i logit per una **temperatura** $T > 0$:
#
# $$p_i(T) = \frac{e^{z_i / T}}{\sum_j e^{z_j / T}}, \qquad
# \frac{p_i(T)}{p_j(T)} = e^{(z_i - z_j)/T}.$$
#
# - $T = 1$ lascia le probabilità del modello come sono.
# - $T < 1$ allarga le distanze tra i logit: la distribuzione diventa più **appuntita**. Per
#   $T \to 0$, tutta la probabilità va al carattere più probabile.
# - $T > 1$ riduce le distanze: la distribuzione diventa più **piatta**. Per
#   $T \to \infty$, ogni carattere riceve $1/V$.
#
# `next_token_probs(logits, temperature)` di `course_lib` fa proprio questo (la cella lo
# confronta con la nostra softmax stabile di `z / T`).
# L'**entropia** $H = -\sum_i p_i \ln p_i$ misura quanto è sparpagliata la distribuzione:
# vale 0 quando un solo carattere ha tutta la probabilità, $\ln V$ quando sono tutti uguali.

# %% id=cell-020 en=1b2e5670
print(f"1/V = {1 / V:.4f}   ln V = {math.log(V):.4f}")
for T in (0.1, 0.5, 1.0, 2.0, 10.0, 100.0):
    pT = next_token_probs(z[None], temperature=T)[0]        # (1, V) -> (V,)
    torch.testing.assert_close(pT, softmax_stable(z / T))
    entropy = -(pT * pT.clamp_min(1e-30).log()).sum()
    print(f"T = {T:>5}: p più grande = {pT.max():.4f} ({chars[int(pT.argmax())]!r}), "
          f"entropia = {entropy:.4f} nat")

# %% [markdown] id=cell-022 en=48435d22
# Una temperatura pari a 0 vorrebbe dire dividere per zero. In PyTorch questo dà $\pm\infty$,
# e la softmax di quei valori è `nan`. Per questo la libreria la rifiuta, con un errore che
# dice che cosa fare invece.

# %% id=cell-023 en=966976c2
print("F.softmax(z / 0) comincia con", F.softmax(z / 0, dim=-1)[:4])
try:
    next_token_probs(z[None], temperature=0)
except ValueError as err:
    print("ValueError:", err)

# %% [markdown] id=cell-024 en=ddfeb4e9
# **Prova tu.** Scegli un contesto e sposta la temperatura. Guarda la probabilità più grande
# e i 40 caratteri campionati: a bassa temperatura sono quasi tutti lo stesso carattere; ad
# alta temperatura compaiono i caratteri rari. (I campioni usano sempre lo stesso seed, quindi
# a cambiarli è solo la temperatura.)

# %% [markdown] id=cell-026 en=4a0024d9
# ### Esercizio 2: la temperatura
#
# Scrivi `my_probs_with_temperature(logits, temperature)`: la softmax di
# `logits / temperature` lungo l'ultima dimensione (qui `F.softmax` va bene). Per una
# temperatura minore o uguale a 0, solleva un `ValueError` con un messaggio che dica che la
# temperatura deve essere maggiore di 0.

# %% id=cell-027 en=14c350d7
def my_probs_with_temperature(logits, temperature):
    # TODO: controlla la temperatura, poi restituisci la softmax di logits / temperature
    raise NotImplementedError


check_temperature_probs(my_probs_with_temperature)

# %% [solution] id=cell-028 en=13c0a7a4
def solution_probs_with_temperature(logits, temperature):
    if temperature <= 0:
        raise ValueError(f"la temperatura deve essere > 0, invece è {temperature}")
    return F.softmax(logits / temperature, dim=-1)


check_temperature_probs(solution_probs_with_temperature)

# %% [markdown] id=cell-029 en=3a8907e8
# ## Campionamento o argmax
#
# Due modi di scegliere il carattere successivo:
#
# - **argmax** (scelta *greedy*, "avida"): sempre il più probabile. Lo stesso contesto dà
#   sempre lo stesso carattere.
# - **campionamento**: `torch.multinomial(probs, n)` estrae l'indice $i$ con probabilità
#   $p_i$. Un carattere con $p = 0{,}1$ esce circa una volta su dieci.

# %% id=cell-030 en=948780ad
g = torch.Generator().manual_seed(0)
draws = torch.multinomial(p, num_samples=30, replacement=True, generator=g)
print(f"argmax, 30 volte: {chars[int(p.argmax())] * 30!r}")
print(f"30 campioni:      {''.join(chars[i] for i in draws.tolist())!r}")

# %% [markdown] id=cell-031 en=98ec881d
# Se il campionamento segue le probabilità, allora su molte estrazioni la **frequenza** di
# ogni carattere dovrebbe avvicinarsi alla sua probabilità. Contiamo e confrontiamo.

# %% id=cell-032 en=9d41e4a3
g = torch.Generator().manual_seed(0)
for n in (100, 1_000, 10_000, 100_000):
    counts = torch.bincount(torch.multinomial(p, n, replacement=True, generator=g), minlength=V)
    gap = (counts / n - p).abs().max()
    noise = (p * (1 - p) / n).sqrt().max()          # la deviazione standard più grande di una frequenza
    print(f"{n:>7} campioni: max |frequenza - probabilità| = {gap:.4f}   "
          f"(per il solo caso: circa {noise:.4f})")
    assert gap < 4 * noise

# %% [markdown] id=cell-034 en=e3fc1fdb
# Lo scarto si riduce man mano che i campioni aumentano, e per ogni $n$ resta sotto 4 volte
# la dispersione dovuta al solo caso (la cella lo verifica con un `assert`): una frequenza
# contata su $n$ estrazioni ha deviazione standard $\sqrt{p(1-p)/n}$, che si riduce come
# $1/\sqrt{n}$. I campioni seguono le probabilità.
#
# `course_lib.sample_next_token(logits, temperature, top_k, generator)` è questa stessa
# estrazione, fatta a partire dai logit: softmax con temperatura, poi `torch.multinomial`.
# Con lo stesso seed estrae esattamente ciò che estraiamo noi a mano.

# %% id=cell-035 en=d590a27b
logits_batch = torch.stack([last_logits(c) for c in contexts])     # (5, V)
by_hand = torch.multinomial(F.softmax(logits_batch / 0.8, dim=-1), 1,
                            generator=torch.Generator().manual_seed(7))
library = sample_next_token(logits_batch, temperature=0.8,
                            generator=torch.Generator().manual_seed(7))
assert torch.equal(by_hand, library)
print("caratteri successivi:", [chars[i] for i in library[:, 0].tolist()])

# %% [markdown] id=cell-036 en=3cbbdee3
# Il **top-k** è un filtro in più: tiene solo i $k$ logit più grandi e mette gli altri a
# $-\infty$, così la loro probabilità è esattamente $e^{-\infty} = 0$. Con $k = 1$, il
# campionamento diventa argmax.

# %% id=cell-037 en=9641a852
k = 5
kth = z.topk(k).values[-1]                                # il k-esimo logit più grande
z_top = z.masked_fill(z < kth, float("-inf"))
torch.testing.assert_close(z_top, top_k_filter(z[None], k)[0])
p_top = next_token_probs(z[None], top_k=k)[0]
print(f"top-{k}: {int((p_top > 0).sum())} caratteri conservano una probabilità > 0:",
      {chars[i]: round(float(p_top[i]), 4) for i in p_top.nonzero()[:, 0].tolist()})
picks = sample_next_token(logits_batch, top_k=1, generator=torch.Generator().manual_seed(0))
assert torch.equal(picks[:, 0], logits_batch.argmax(dim=-1))      # k = 1 è argmax
print("top_k=1 sceglie il logit più grande in ogni riga:", [chars[i] for i in picks[:, 0].tolist()])

# %% [markdown] id=cell-038 en=b81fcd9f
# Testo greedy (top-k con $k = 1$) e testo campionato, a partire dallo stesso prompt. Il
# testo greedy finisce spesso in un ciclo: lo stesso contesto porta sempre allo stesso
# carattere successivo.

# %% id=cell-039 en=1a3cc724
prompt = "\nHam.\n"
print("greedy (top_k=1):\n" + generate_text(model, tokenizer, prompt, 120, top_k=1))
print("\ncampionato (T = 1.0):\n" + generate_text(model, tokenizer, prompt, 120, seed=1))

# %% [markdown] id=cell-040 en=37c873b6
# ## Softmax e cross-entropy
#
# Durante l'addestramento conosciamo il vero carattere successivo $y$. La loss chiede: che
# probabilità gli ha dato il modello?
#
# $$\text{loss} = -\ln p_y = -\ln \mathrm{softmax}(z)_y$$
#
# Se $p_y = 1$ la loss vale 0. Se ogni carattere riceve $1/V$, la loss vale $\ln V$. Se $p_y$
# è vicina a 0, la loss è molto grande. Questa è l'**entropia incrociata** (*cross-entropy*)
# di un esempio; `F.cross_entropy` prende i logit e il target e calcola esattamente questo.

# %% id=cell-041 en=1b408a63
text = "O Romeo, Romeo! wherefore art thou Romeo?"
y = tokenizer.encode(text[len(context)])[0]              # il vero carattere successivo
loss_by_hand = -torch.log(p[y])
loss_torch = F.cross_entropy(z[None], torch.tensor([y]))
print(f"vero carattere successivo {chars[y]!r}: p = {p[y]:.4f}, -ln p = {loss_by_hand:.4f}, "
      f"F.cross_entropy = {loss_torch:.4f}")
torch.testing.assert_close(loss_by_hand, loss_torch)

# %% [markdown] id=cell-042 en=3d5678c5
# Per un batch, la loss è la media su tutte le $B \cdot T$ posizioni. È quello che il modello
# restituisce come loss (il `reshape` a `(B·T, V)` della lezione 02).

# %% id=cell-043 en=d115b351
xb, yb = get_batch(corpus.val_data, batch_size=8, block_size=64,
                   generator=torch.Generator().manual_seed(0))
with torch.no_grad():
    logits, loss = model(xb, yb)                            # (8, 64, V), scalare
B, T, _ = logits.shape
log_probs = F.log_softmax(logits, dim=-1)                   # (B, T, V)
by_hand = -log_probs.gather(-1, yb[..., None]).mean()       # -ln p di ogni target, in media
torch.testing.assert_close(by_hand, loss)
torch.testing.assert_close(F.cross_entropy(logits.view(B * T, V), yb.view(B * T)), loss)
print(f"loss su un batch di validazione {loss:.4f} nat;  tirando a indovinare in modo uniforme "
      f"si avrebbe ln V = {math.log(V):.4f}")

# %% [markdown] id=cell-044 en=4791e0df
# ### Perché la loss vuole i logit: la log-softmax
#
# Calcolare $\ln(\mathrm{softmax}(z))$ in due passaggi non funziona quando una probabilità è
# minuscola: in float32 viene arrotondata a 0, e $\ln 0 = -\infty$. Lavorare con i logaritmi
# evita l'arrotondamento. Con $m = \max_j z_j$:
#
# $$\ln \mathrm{softmax}(z)_i = z_i - m - \ln \sum_j e^{z_j - m}$$
#
# Ogni termine resta finito. Questa è `F.log_softmax`, e `F.cross_entropy` la usa. Ecco
# perché `F.cross_entropy` vuole i logit, non le probabilità.

# %% id=cell-045 en=406f16a6
z2 = torch.tensor([0.0, -200.0])
print("softmax:             ", F.softmax(z2, dim=-1))
print("log(softmax):        ", torch.log(F.softmax(z2, dim=-1)))
print("log_softmax:         ", F.log_softmax(z2, dim=-1))
by_hand = z2 - z2.max() - (z2 - z2.max()).exp().sum().log()
torch.testing.assert_close(by_hand, F.log_softmax(z2, dim=-1))
torch.testing.assert_close(z - z.max() - (z - z.max()).exp().sum().log(), F.log_softmax(z, -1))
print("loss per il target 1: -log(softmax) =", float(-torch.log(F.softmax(z2, -1))[1]),
      "  F.cross_entropy =", float(F.cross_entropy(z2[None], torch.tensor([1]))))
print(f"e^-200 = {math.exp(-200):.2e}; il float32 positivo più piccolo è {tiniest:.2e}")

# %% [markdown] id=cell-046 en=f3ba8a7f
# La probabilità $e^{-200}$ è molto al di sotto del più piccolo numero float32 positivo,
# quindi la softmax dà esattamente 0. In matematica un'uscita della softmax è sempre
# strettamente compresa tra 0 e 1, ma in float32 può essere esattamente 0.
#
# ### Esercizio 3: la cross-entropy
#
# Scrivi `my_cross_entropy(logits, targets)` per logit di forma `(N, C)` e target interi di
# forma `(N,)`: la media sulle N righe di
# $-\ln \mathrm{softmax}(\text{logits})_{\text{target}}$.
# Usa `F.log_softmax` (o una tua log-softmax), non `F.cross_entropy` né `F.nll_loss` (la
# verifica li rifiuta entrambi). Suggerimento: `x[torch.arange(N), targets]` prende un
# elemento per riga.

# %% id=cell-047 en=7570b8bc
def my_cross_entropy(logits, targets):
    # TODO: log-probabilità, prendi l'elemento del target in ogni riga, cambia segno, fai la media
    raise NotImplementedError


check_cross_entropy(my_cross_entropy)

# %% [markdown] id=cell-049 en=5bd2a98b
# ## Riepilogo
#
# - La softmax trasforma i logit in probabilità: $e^{z_i} / \sum_j e^{z_j}$. Sono positive,
#   sommano a 1 e conservano l'ordine dei logit; contano solo le differenze tra i logit.
# - Calcolata direttamente, in float32 la softmax va in overflow (`inf / inf = nan`) per logit
#   sopra circa 88,7. Sottrarre il massimo non cambia nulla dal punto di vista matematico e
#   risolve il problema.
# - La temperatura divide i logit: una $T$ bassa rende la distribuzione più appuntita, una
#   $T$ alta la appiattisce, e $T = 0$ è un errore (per la scelta greedy usa `top_k=1`).
# - `torch.multinomial` campiona in proporzione alle probabilità; argmax sceglie sempre lo
#   stesso carattere, e il testo finisce per ripetersi.
# - La cross-entropy è $-\ln p_{\text{target}}$; calcolata con la log-softmax sui logit,
#   resta finita anche quando una probabilità viene arrotondata a 0.
#
# **Prossima lezione:** la [lezione 04: il trucco della self-attention](04_self_attention_trick.ipynb)
# permette a ogni posizione di guardare le posizioni che la precedono.
