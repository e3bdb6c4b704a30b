# Il testo italiano di notebooks/src/07_layernorm.py (formato:
# scripts/build_notebooks.py; termini: docs/it/glossario.md).

# %% [markdown] id=cell-000 en=9c41f2be
# # Lezione 07: la LayerNorm
#
# Ogni blocco del GPT apre ciascuna delle sue due parti con una LayerNorm (`ln1`, `ln2`), e
# un'altra (`ln_f`) viene dopo l'ultimo blocco. In questa lezione smontiamo la LayerNorm: che
# cosa calcola, su quali numeri fa la media, dove la mette il modello e che cosa cambia se la
# togli.
#
# **Cosa imparerai**
# - come si normalizza un vettore a mano, e quale deviazione standard usa la LayerNorm;
# - a che cosa serve la piccola costante epsilon;
# - come scrivere la LayerNorm da zero, con la sua scala e il suo spostamento appresi, in modo
#   che sia uguale a `nn.LayerNorm`;
# - quale dimensione normalizza la LayerNorm, e in che cosa è diversa dalla BatchNorm;
# - dove il modello del corso mette le sue LayerNorm (pre-norm);
# - che cosa succede all'addestramento senza LayerNorm, misurandolo.
#
# **Prerequisiti:** [lezione 06: i blocchi](06_blocks.ipynb) (il `Block`, le connessioni
# residue).

# %% [markdown] id=cell-001 en=0ecddf15
# ## Preparazione

# %% id=cell-002 en=6b600b5c setup
from course_lib import set_language

set_language("it")                       # course_lib ti parlerà in italiano

import inspect
import json

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.testing import assert_close

from course_lib import DATA_DIR, Block, GPTConfig, GPTLanguageModel, load_checkpoint
from course_lib.lessons.checks import check_layer_norm, check_layernorm_parameter_count
from course_lib.lessons.experiments import without_layernorm
from course_lib.lessons.plots import plot_layernorm_curves, plot_layernorm_io
from course_lib.lessons.widgets import layernorm_explorer

torch.manual_seed(1337)
torch.set_printoptions(precision=4, sci_mode=False)

# %% [markdown] id=cell-003 en=37e22b5f
# ## Un esempio svolto
#
# Per normalizzare un vettore, sottrai la sua media e dividi per la sua deviazione standard.
# Prendi `x = [1.0, 2.0, 3.0]`. La media è 2. Per la deviazione standard ci sono due formule
# comuni, e qui danno numeri diversi:
#
# - la deviazione standard **della popolazione** divide la somma degli scarti al quadrato
#   per $n$: $\sigma = \sqrt{\tfrac{1}{n}\sum_i (x_i - \mu)^2}$;
# - la stima **corretta** (non distorta) divide per $n - 1$. È quella che `torch.std` calcola
#   se non gli dici altro.

# %% id=cell-004 en=d225229d
x = torch.tensor([1.0, 2.0, 3.0])
mu = x.mean()
sigma_pop = x.std(correction=0)     # divide per n
sigma_unb = x.std()                 # divide per n - 1 (il default)
print(f"media {mu:.4f}   std della popolazione {sigma_pop:.4f}   std corretta (default di torch) {sigma_unb:.4f}")
print("normalizzato con la std della popolazione:", (x - mu) / sigma_pop)
print("normalizzato con la std corretta:         ", (x - mu) / sigma_unb)

# %% [markdown] id=cell-005 en=7936d93e
# Ciascuna versione dà una deviazione standard di 1 se la misuri con la sua stessa formula.
# La LayerNorm usa la versione della popolazione: confronta con `nn.LayerNorm`.

# %% id=cell-006 en=536a7bca
ln = nn.LayerNorm(3)
y = ln(x)
print("nn.LayerNorm:", y.detach())
print(f"media del risultato {y.mean():.4f}, std della popolazione {y.std(correction=0):.4f}")
fig = plot_layernorm_io(x, y, title="L'esempio svolto: [1, 2, 3] normalizzato")

# %% [markdown] id=cell-007 en=3c483974
# Normalizzare toglie la media e la scala, quindi spostare o scalare l'ingresso non cambia
# l'uscita. `[2.0, 3.0, 4.0]` e `[10.0, 20.0, 30.0]` danno lo stesso risultato di
# `[1.0, 2.0, 3.0]`.

# %% [markdown] id=cell-009 en=936ac3bb
# ## Epsilon
#
# La LayerNorm non divide per $\sigma$ ma per $\sqrt{\sigma^2 + \epsilon}$, con un piccolo
# $\epsilon$ (`eps`, per default $10^{-5}$). Quindi il risultato non è esattamente
# $\pm\sqrt{3/2}$. Stampa più cifre:

# %% id=cell-010 en=035a0247
exact = (x - mu) / sigma_pop
print(f"eps = {ln.eps:g}, sqrt(eps) = {ln.eps ** 0.5:.4f}")
print(f"senza eps: {exact[2]:.7f}   nn.LayerNorm: {y[2]:.7f}   "
      f"differenza {exact[2] - y[2]:.1e}")

# %% [markdown] id=cell-011 en=a2c2944f
# Per un vettore come questo la differenza è minuscola. Epsilon conta quando la varianza è
# vicina a 0. Per un vettore costante, $\sigma = 0$ e la divisione è $0/0$. Per un vettore
# quasi costante, dividere per il suo $\sigma$ minuscolo ingigantirebbe differenze che sono
# solo rumore.

# %% id=cell-012 en=a7f4409d
def normalise(v, eps):
    return (v - v.mean()) / torch.sqrt(v.var(correction=0) + eps)


constant = torch.tensor([5.0, 5.0, 5.0])
almost = torch.tensor([5.0, 5.001, 5.002])
for name, v in (("costante", constant), ("quasi costante", almost)):
    print(f"{name:>15} {v}: eps=0 -> {normalise(v, 0.0)}, eps=1e-5 -> {normalise(v, 1e-5)}")

# %% [markdown] id=cell-013 en=9c99b84e
# Con `eps = 1e-5` il vettore costante dà zeri, e quello quasi costante, la cui dispersione è
# sotto $\sqrt{\epsilon}$ (stampato sopra), viene compresso invece di essere stirato fino a
# deviazione standard 1.
#
# ### Prova tu
#
# L'ingresso è `scale * [1, 2, 3] + shift`. Sposta lo shift, e ingrandisci e rimpicciolisci
# il vettore con la scala: l'uscita non cambia, finché la dispersione dell'ingresso non si
# avvicina a $\sqrt{\epsilon}$. Poi cambia `eps` e guarda dove succede. Prova anche una scala
# minuscola con uno shift grande (scala 1e-5, shift 100): lì il float32 non riesce a
# rappresentare esattamente l'ingresso, e il widget mostra di quanto sbaglia.

# %% [markdown] id=cell-015 en=3cd49e59
# ## La LayerNorm da zero
#
# Per ogni vettore di `C` canali, la LayerNorm calcola
#
# $$y = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} \cdot \gamma + \beta,$$
#
# dove $\mu$ e $\sigma^2$ sono la media e la varianza della popolazione dei `C` valori, e
# $\gamma$ (`weight`) e $\beta$ (`bias`) sono vettori appresi di `C` numeri. Partono da 1 e da
# 0, quindi all'inizio la LayerNorm si limita a normalizzare; l'addestramento può poi dare a
# ogni canale una sua scala e un suo spostamento, e perfino annullare la normalizzazione, se
# questo aiuta.

# %% id=cell-016 en=f7fa2b04
class MyLayerNorm(nn.Module):
    def __init__(self, n_embd, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(n_embd))    # gamma: la scala appresa
        self.bias = nn.Parameter(torch.zeros(n_embd))     # beta: lo spostamento appreso

    def forward(self, x):
        mean = x.mean(dim=-1, keepdim=True)                  # (B, T, 1)
        var = x.var(dim=-1, keepdim=True, correction=0)      # (B, T, 1), divide per C
        x_hat = (x - mean) / torch.sqrt(var + self.eps)      # (B, T, C)
        return x_hat * self.weight + self.bias               # (B, T, C)

# %% id=cell-017 en=0f4894dd
B, T, C = 4, 8, 32
x = torch.randn(B, T, C) * 3 + 1
mine, theirs = MyLayerNorm(C), nn.LayerNorm(C)
assert_close(mine(x), theirs(x))
with torch.no_grad():                      # ora dai a entrambe la stessa scala e lo stesso spostamento casuali
    theirs.weight.copy_(torch.rand(C) + 0.5)
    theirs.bias.copy_(torch.randn(C))
mine.load_state_dict(theirs.state_dict())
assert_close(mine(x), theirs(x))
print("MyLayerNorm == nn.LayerNorm, anche con scala e spostamento appresi")
print({name: tuple(p.shape) for name, p in theirs.named_parameters()})

# %% [markdown] id=cell-018 en=4f25592b
# ### Esercizio 1: la LayerNorm come funzione
#
# Scrivi `my_layer_norm(x, weight, bias, eps)` per un tensore `x` di forma `(B, T, C)`.

# %% id=cell-019 en=14ceea47
def my_layer_norm(x, weight, bias, eps):
    # TODO: media e varianza della popolazione sui canali; normalizza; scala e sposta
    raise NotImplementedError


check_layer_norm(my_layer_norm)

# %% [markdown] id=cell-021 en=4db2d784
# ## Su quali numeri si fa la media: LayerNorm e BatchNorm
#
# Un tensore di forma `(B, T, C)` si può normalizzare lungo dimensioni diverse.
#
# - La **LayerNorm** normalizza ogni token per conto suo: per ogni `(b, t)` fa la media sui
#   `C` canali. Le medie sono `B × T`.
# - La **BatchNorm** normalizza ogni canale per conto suo: per ogni canale `c` fa la media su
#   tutti i `B × T` token del batch. Le medie sono `C`.
#
# Costruisci un piccolo tensore i cui canali hanno scale molto diverse, e stampa le
# statistiche dopo ciascuna normalizzazione. (`nn.BatchNorm1d` vuole i canali nella
# dimensione 1, da qui le trasposizioni.)

# %% id=cell-022 en=247ca3e0
B, T, C = 2, 3, 4
x = torch.randn(B, T, C) * torch.tensor([1.0, 10.0, 100.0, 1000.0])
layer = nn.LayerNorm(C)
batch = nn.BatchNorm1d(C)
y_ln = layer(x)
y_bn = batch(x.transpose(1, 2)).transpose(1, 2)

def describe(name, mean, std):
    print(f"{name:<39}: {mean.numel()} medie (forma {tuple(mean.shape)}), |media| più grande "
          f"{mean.abs().max():.4f}, std da {std.min():.4f} a {std.max():.4f}")


with torch.no_grad():
    describe("LayerNorm, su C per ogni token", y_ln.mean(-1), y_ln.std(-1, correction=0))
    describe("BatchNorm, su (B, T) per ogni canale", y_bn.mean((0, 1)),
             y_bn.std((0, 1), correction=0))
    describe("uscita della BatchNorm, token per token", y_bn.mean(-1), y_bn.std(-1, correction=0))

# %% [markdown] id=cell-023 en=8fca7b65
# Dopo la LayerNorm ogni token ha media 0 e deviazione standard 1 sui suoi canali. Dopo la
# BatchNorm ogni canale ha media 0 e deviazione standard 1 sul batch, ma i canali di un
# singolo token no: lo mostra l'ultima riga.
#
# Una conseguenza: con la BatchNorm, l'uscita di un token dipende dalle altre sequenze del
# batch. Cambia solo la seconda sequenza e confronta le uscite della prima.

# %% id=cell-024 en=9f57224a
x2 = x.clone()
x2[1] = torch.randn(T, C) * 50
y_ln2 = layer(x2)
y_bn2 = batch(x2.transpose(1, 2)).transpose(1, 2)
print(f"LayerNorm: la prima sequenza è cambiata di {(y_ln2[0] - y_ln[0]).abs().max():.4f}")
print(f"BatchNorm: la prima sequenza è cambiata di {(y_bn2[0] - y_bn[0]).abs().max():.4f}")

# %% [markdown] id=cell-025 en=3ca2393f
# In un modello linguistico è peggio di quanto sembri. La media della BatchNorm su `(B, T)`
# comprende anche le posizioni **successive** della stessa sequenza, quindi l'uscita nella
# posizione 0 dipende dai token che vengono dopo: il modello potrebbe leggere il futuro, cosa
# che la maschera causale dell'attention serve proprio a impedire. Cambia solo l'ultima
# posizione della prima sequenza e guarda le posizioni precedenti:

# %% id=cell-026 en=f3ad491f
x3 = x.clone()
x3[0, -1] += 10.0                          # cambia solo l'ultima posizione della sequenza 0
y_ln3 = layer(x3)
y_bn3 = batch(x3.transpose(1, 2)).transpose(1, 2)
print(f"LayerNorm: le posizioni 0..{T - 2} sono cambiate di {(y_ln3[0, :-1] - y_ln[0, :-1]).abs().max():.4f}")
print(f"BatchNorm: le posizioni 0..{T - 2} sono cambiate di {(y_bn3[0, :-1] - y_bn[0, :-1]).abs().max():.2f}")

# %% [markdown] id=cell-027 en=b5caa3b3
# La BatchNorm tiene anche delle medie mobili delle sue statistiche per la modalità di
# valutazione, quindi calcola una cosa diversa in addestramento e in valutazione. La
# LayerNorm fa la stessa cosa nelle due modalità.

# %% id=cell-028 en=b9f3b399
layer.eval()
batch.eval()
print(f"LayerNorm, modalità eval e train: differenza massima {(layer(x) - y_ln).abs().max():.4f}")
print(f"BatchNorm, modalità eval e train: differenza massima "
      f"{(batch(x.transpose(1, 2)).transpose(1, 2) - y_bn).abs().max():.4f}")

# %% [markdown] id=cell-029 en=8c65dcf9
# Un modello linguistico genera il testo una sequenza alla volta, spesso con un batch di una
# sola sequenza, e deve comportarsi allo stesso modo in addestramento e nell'uso; inoltre
# non deve mai vedere il futuro. La LayerNorm, che guarda un token alla volta, soddisfa tutto
# questo: ecco alcune ragioni per cui i transformer per il testo usano la LayerNorm e non la
# BatchNorm.
#
# ## Dove il modello mette la LayerNorm: il pre-norm
#
# In un `Block` del corso, ogni parte legge `ln(x)`, e la sua uscita viene sommata a `x`
# stesso. Il flusso residuo `x` (*residual stream*) non viene mai normalizzato dentro i
# blocchi. Questo è il **pre-norm** (lo usa GPT-2). Il Transformer originale usava il
# **post-norm**: `x = ln(x + f(x))`, che mette una LayerNorm sul percorso residuo di ogni
# blocco.

# %% [markdown] id=cell-031 en=8b8fab09
# Poiché i blocchi continuano a sommare contributi al flusso residuo, la sua scala può
# crescere da un blocco all'altro. `ln_f` lo normalizza un'ultima volta prima che `lm_head`
# lo trasformi in logit. Misuralo nel modello del corso già addestrato: la deviazione
# standard media del vettore di un token dopo gli embedding, dopo ogni blocco e dopo `ln_f`.

# %% id=cell-032 en=70406809
model, tokenizer = load_checkpoint(DATA_DIR / "checkpoints" / "gpt")
idx = torch.tensor([tokenizer.encode("Friends, Romans, countrymen, lend me your ears;")])
with torch.no_grad():
    h = model.token_embedding_table(idx) + model.position_embedding_table(
        torch.arange(idx.shape[1]))
    print(f"embedding:        {h.std(-1, correction=0).mean():.3f}")
    for i, block in enumerate(model.blocks):
        h = block(h)
        print(f"dopo il blocco {i}: {h.std(-1, correction=0).mean():.3f}")
    print(f"dopo ln_f:        {model.ln_f(h).std(-1, correction=0).mean():.3f}   (senza i suoi "
          f"weight e bias: {F.layer_norm(h, (h.shape[-1],)).std(-1, correction=0).mean():.3f})")
    logits = model.lm_head(model.ln_f(h))                  # (1, T, vocab_size)
    assert_close(logits, model(idx)[0], atol=1e-4, rtol=1e-4)
print("embedding -> blocchi -> ln_f -> lm_head dà i logit del modello:", tuple(logits.shape))

# %% [markdown] id=cell-033 en=4b5facad
# Il flusso residuo cresce da un blocco all'altro, e `ln_f` lo riporta indietro. Il
# risultato non è esattamente 1: `ln_f` normalizza a 1 (il numero tra parentesi) e poi
# applica i `weight` e `bias` che ha imparato durante l'addestramento.
#
# ### Esercizio 2: quanti parametri hanno le LayerNorm?
#
# Scrivi `my_count_layernorm_parameters(cfg)` per un `GPTLanguageModel` costruito dalla
# configurazione `cfg` (che ha `cfg.n_layer` e `cfg.n_embd`).

# %% id=cell-034 en=ef131b52
def my_count_layernorm_parameters(cfg):
    # TODO: quante LayerNorm ci sono, e quanti numeri ha ciascuna?
    raise NotImplementedError


check_layernorm_parameter_count(my_count_layernorm_parameters)

# %% [markdown] id=cell-036 en=02830b98
# ## Addestrare con e senza LayerNorm
#
# La LayerNorm aiuta l'addestramento? Misuralo: addestra due volte lo stesso piccolo GPT, una
# volta così com'è e una con `ln1`, `ln2` e `ln_f` sostituite da `nn.Identity()`, un modulo
# che restituisce il suo ingresso. La sostituzione la fa `without_layernorm`; tutti gli altri
# pesi restano gli stessi.

# %% id=cell-037 en=0905d732
cfg = GPTConfig(vocab_size=67, block_size=32, n_embd=64, n_head=4, n_layer=6)
torch.manual_seed(1337)
plain = without_layernorm(GPTLanguageModel(cfg))
print(plain.blocks[0].ln1, plain.ln_f)
print(f"parametri tolti: {GPTLanguageModel(cfg).num_parameters() - plain.num_parameters():,}")

# %% [markdown] id=cell-038 en=af0ce5d6
# L'addestramento richiede qualche minuto (il totale è stampato qui sotto), quindi lo fa uno
# script, che salva le curve. Lo script addestra le due versioni dallo stesso seed sugli
# stessi batch, senza gradient clipping: con learning rate 0,001 e un seed, e con learning
# rate 0,01 e tre seed. Per rieseguirlo:
#
# ```bash
# python scripts/compare_layernorm.py
# ```

# %% id=cell-039 en=2a13a0dc
results = json.loads((DATA_DIR / "layernorm_curves.json").read_text())
print("modello:", results["config"])
print("addestramento:", {k: v for k, v in results["training"].items() if k != "lr_and_seed"})
runs = {(r["lr"], r["seed"], r["layernorm"]): r for r in results["runs"]}
for (lr, seed, ln), run in runs.items():
    peak = max(v for v in run["train_loss"] if v is not None)
    print(f"lr {lr:g}, seed {seed}, {'con' if ln else 'senza':>7} LayerNorm: loss di val "
          f"{run['eval_val'][0]:.3f} -> {run['eval_val'][-1]:.3f}, loss di addestramento più alta {peak:.3g}"
          f" al passo {run['steps'][run['train_loss'].index(peak)]}")
print(f"{len(runs)} addestramenti, {sum(r['seconds'] for r in results['runs']) / 60:.1f} minuti di "
      f"addestramento su {results['machine']}")

# %% [markdown] id=cell-041 en=d2ee1b77
# Conta quello che mostrano le curve.

# %% id=cell-042 en=7c45258f
with_ln, without_ln = runs[(0.001, 1337, True)]["eval_val"], runs[(0.001, 1337, False)]["eval_val"]
print("lr 0.001: con LayerNorm la loss di val è più bassa a ogni valutazione dopo l'inizio:",
      all(a < b for a, b in zip(with_ln[1:], without_ln[1:])))
seeds = [seed for lr, seed in results["training"]["lr_and_seed"] if lr == 0.01]
for ln in (True, False):
    spiked = sum(max(v for v in runs[(0.01, s, ln)]["train_loss"] if v is not None)
                 > 1.5 * runs[(0.01, s, ln)]["train_loss"][0] for s in seeds)
    print(f"lr 0.01, {'con' if ln else 'senza':>7} LayerNorm: la loss di addestramento è salita oltre "
          f"1.5 volte il valore iniziale in {spiked} addestramenti su {len(seeds)}")
worse = sum(runs[(0.01, s, False)]["eval_val"][-1] > runs[(0.01, s, True)]["eval_val"][-1]
            for s in seeds)
print(f"lr 0.01: loss di val finale più alta senza LayerNorm in {worse} seed su {len(seeds)}")

# %% [markdown] id=cell-043 en=71ce4b1a
# Ecco che cosa dicono le misure, per questo modello e queste impostazioni:
#
# - Con learning rate 0,001 tutte e due le versioni si addestrano, ma quella con la
#   LayerNorm ha la loss di validazione più bassa a ogni valutazione dopo l'inizio.
# - Con learning rate 0,01 gli addestramenti con la LayerNorm procedono senza scosse. Senza
#   LayerNorm, la loss di addestramento salta molto sopra il suo valore iniziale presto
#   (entro i primi 60 passi su 600), in ogni addestramento (i valori più alti e i loro passi
#   sono stampati sopra), e poi si riprende. Dopo 600 passi gli addestramenti senza
#   LayerNorm finiscono con la loss di validazione più alta nella maggior parte dei seed, ma
#   non in tutti: il conteggio è stampato sopra.
#
# È un piccolo esperimento: una sola dimensione del modello, 600 passi, un seed con il
# learning rate basso e tre con quello alto. Mostra che qui la LayerNorm dà una loss più
# bassa dopo lo stesso numero di passi con un learning rate basso, e un addestramento più
# stabile con uno alto. Non mostra che questo valga per ogni modello, e come finisce un
# singolo addestramento instabile dipende in parte dal caso.
#
# **Perché la normalizzazione aiuta?** Leggerai spesso che "riduce l'internal covariate
# shift": la distribuzione degli ingressi di ogni layer cambia meno mentre i layer
# precedenti imparano. Era la motivazione originale della BatchNorm (Ioffe e Szegedy, 2015),
# ma è contestata: Santurkar e colleghi (2018, "How Does Batch Normalization Help
# Optimization?") hanno trovato che le reti si addestravano bene con la BatchNorm anche
# aggiungendo apposta del rumore che spostava quelle distribuzioni, e hanno sostenuto che la
# normalizzazione rende invece più liscia la superficie della loss. Perché funzioni così bene
# è ancora oggetto di studio. Quello su cui puoi contare è quello che hai misurato: ogni parte
# di un blocco legge un ingresso normalizzato, e l'addestramento è più stabile.
#
# ## Riepilogo
#
# - La LayerNorm sottrae la media dei `C` canali di ogni token e divide per
#   $\sqrt{\sigma^2 + \epsilon}$ con la varianza della popolazione (divide per `C`, non per
#   `C - 1`), poi applica una scala appresa `weight` e uno spostamento appreso `bias`.
# - Epsilon evita che un vettore costante o quasi costante venga diviso per zero o stirato;
#   è il motivo per cui `[1, 2, 3]` non diventa esattamente $\pm\sqrt{3/2}$.
# - La LayerNorm fa la media sull'ultima dimensione, separatamente per ogni token; la
#   BatchNorm fa la media di ogni canale sul batch e rende gli esempi dipendenti l'uno
#   dall'altro.
# - Il modello del corso è pre-norm: `x + f(ln(x))` in ogni blocco, e `ln_f` prima di
#   `lm_head`.
# - Nel nostro esperimento il modello senza LayerNorm ha imparato più lentamente con
#   learning rate 0,001, e la sua loss ha avuto dei picchi con 0,01, dove il modello con la
#   LayerNorm si addestrava senza scosse.
#
# **Prossima lezione:** la [lezione 08: il GPT completo](08_full_gpt.ipynb) mette insieme
# tutte le parti e addestra il modello intero.
