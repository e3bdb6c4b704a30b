# Il testo italiano di notebooks/src/06_blocks.py (formato:
# scripts/build_notebooks.py; termini: docs/it/glossario.md).

# %% [markdown] id=cell-000 en=db0f913a
# # Lezione 06: i blocchi
#
# Un GPT è una pila di **blocchi** tutti uguali. Ogni blocco fa prima scambiare
# informazione ai token (l'attention, lezione 05) e poi fa elaborare a ogni token quello che
# ha raccolto (una piccola rete feed-forward). Altre due idee rendono addestrabile una pila
# profonda di blocchi: le connessioni residue e il dropout.
#
# **Cosa imparerai**
# - come `nn.Sequential` mette i moduli in catena, con un piccolo esempio;
# - che cosa calcola `FeedForward`, e che lavora su ogni posizione separatamente;
# - come un `Block` combina attention e feed-forward, con il pre-norm e le connessioni
#   residue;
# - che cosa fanno le connessioni residue ai gradienti di una pila profonda, misurandolo;
# - come `nn.Sequential(*[Block(...) for _ in range(n_layer)])` impila i blocchi;
# - che cosa fa il dropout in modalità di addestramento e in modalità di valutazione.
#
# **Prerequisiti:** [lezione 05: le head](05_heads.ipynb) (`MultiHeadAttention`,
# `CausalSelfAttention`).

# %% [markdown] id=cell-001 en=0ecddf15
# ## Preparazione

# %% id=cell-002 en=00252ed5 setup
from course_lib import set_language

set_language("it")                       # course_lib ti parlerà in italiano

import json

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.testing import assert_close

from course_lib import (DATA_DIR, Block, CausalSelfAttention, FeedForward, GPTConfig,
                        GPTLanguageModel)
from course_lib.lessons.checks import check_block_forward, check_dropout, check_feed_forward
from course_lib.lessons.experiments import block_forward, gradient_norms_per_block, without_layernorm
from course_lib.lessons.plots import plot_dropout, plot_gradient_norms
from course_lib.lessons.widgets import residual_gradient_explorer

torch.manual_seed(1337)
torch.set_printoptions(precision=3, sci_mode=False)

# %% [markdown] id=cell-003 en=9426dd12
# ## `nn.Sequential`: moduli in catena
#
# `nn.Sequential` contiene una lista di moduli e li chiama nell'ordine: l'uscita di uno è
# l'ingresso del successivo. Ecco una piccola rete con due layer Linear e una ReLU in mezzo.

# %% id=cell-004 en=164bce95
net = nn.Sequential(
    nn.Linear(10, 20),   # entrano 10 numeri, ne escono 20
    nn.ReLU(),           # i valori negativi diventano 0
    nn.Linear(20, 5),    # entrano 20, ne escono 5
)
print(net)

# %% [markdown] id=cell-005 en=f7f9681e
# Passale un batch di 3 vettori di 10 numeri e segui la forma attraverso ogni layer.

# %% id=cell-006 en=015615a5
h = torch.randn(3, 10)
print("ingresso:", tuple(h.shape))
for layer in net:
    h = layer(h)
    print(f"dopo {type(layer).__name__:>6}: {tuple(h.shape)}")

# %% [markdown] id=cell-007 en=4fe94a61
# Il ciclo ha fatto esattamente quello che fa `net(x)`. Un `Sequential` inoltre registra i
# suoi moduli, quindi `net.parameters()` trova i pesi di tutti.

# %% id=cell-008 en=4e3ca266
x10 = torch.randn(3, 10)
by_hand = net[2](net[1](net[0](x10)))
assert_close(net(x10), by_hand)
print("net(x) == net[2](net[1](net[0](x)))")
print("parametri:", sum(p.numel() for p in net.parameters()), "=", 10 * 20 + 20, "+", 20 * 5 + 5)

# %% [markdown] id=cell-009 en=42001ee3
# ## La rete feed-forward
#
# Dopo il passo di attention, ogni posizione contiene informazione raccolta dal passato. La
# rete **feed-forward** elabora poi il vettore di ogni posizione: un layer Linear verso
# `4 * n_embd` canali, una ReLU e un layer Linear che torna a `n_embd`, seguito dal dropout.
# Il fattore 4 viene dall'articolo originale del Transformer.

# %% id=cell-010 en=d60fac55
B, T, C = 4, 8, 32
x = torch.randn(B, T, C)
my_ffwd = nn.Sequential(nn.Linear(C, 4 * C), nn.ReLU(), nn.Linear(4 * C, C), nn.Dropout(0.0))
ffwd = FeedForward(C)
ffwd.net.load_state_dict(my_ffwd.state_dict())
assert_close(my_ffwd(x), ffwd(x))
print("il mio nn.Sequential == course_lib.FeedForward:", tuple(ffwd(x).shape))
print("layer nascosto:", tuple(ffwd.net[0](x).shape))
print(f"parametri: {sum(p.numel() for p in ffwd.parameters()):,} = 8·C² + 5·C = {8 * C * C + 5 * C:,}")

# %% [markdown] id=cell-011 en=7ae0cc60
# I layer Linear agiscono solo sull'ultima dimensione, quindi ogni posizione viene elaborata
# per conto suo: se cambi l'ingresso nella posizione 3, cambia l'uscita nella posizione 3 e
# in nessun'altra.

# %% id=cell-012 en=88374fb8
x_changed = x.clone()
x_changed[:, 3] += 1.0
changed = (ffwd(x_changed) - ffwd(x)).abs().amax(dim=(0, 2)) > 0   # per posizione
print("posizioni in cui l'uscita è cambiata:", changed.nonzero().flatten().tolist())

# %% [markdown] id=cell-013 en=ad760bea
# ### Esercizio 1: costruisci la rete feed-forward
#
# Scrivi `my_make_feed_forward(n_embd, dropout)`, che restituisce un `nn.Sequential` come
# quello di `course_lib.FeedForward`.

# %% id=cell-014 en=e27decf6
def my_make_feed_forward(n_embd, dropout):
    # TODO: Linear verso 4 * n_embd, ReLU, Linear che torna a n_embd, Dropout
    raise NotImplementedError


check_feed_forward(my_make_feed_forward)

# %% [markdown] id=cell-016 en=c03006ab
# ## Il blocco: comunicazione, poi calcolo
#
# Un blocco fa due cose, una dopo l'altra:
#
# 1. **comunicazione**: la self-attention permette a ogni posizione di prendere informazione
#    dalle posizioni precedenti;
# 2. **calcolo**: la rete feed-forward elabora ogni posizione per conto suo.
#
# Ogni parte legge una copia normalizzata di `x` (`ln1`, `ln2`: la LayerNorm, lezione 07) e
# somma il suo risultato a `x`. Sommare invece di sostituire è la **connessione residua**
# (*residual connection*). Mettere la LayerNorm prima di ogni parte si chiama **pre-norm**.

# %% id=cell-017 en=3fc2b31e
class MyBlock(nn.Module):
    def __init__(self, n_embd, n_head, block_size, dropout=0.0):
        super().__init__()
        self.ln1 = nn.LayerNorm(n_embd)
        self.sa = CausalSelfAttention(n_embd, n_head, block_size, dropout)   # lezione 05
        self.ln2 = nn.LayerNorm(n_embd)
        self.ffwd = FeedForward(n_embd, dropout)

    def forward(self, x):
        x = x + self.sa(self.ln1(x))     # comunicazione
        x = x + self.ffwd(self.ln2(x))   # calcolo
        return x

# %% [markdown] id=cell-018 en=091acb53
# `course_lib.Block` ha le stesse parti con gli stessi nomi. Con gli stessi pesi, i due danno
# la stessa uscita.

# %% [markdown] id=cell-020 en=dfc788d5
# Verifica i due ruoli. Cambia l'ingresso solo nella posizione 3: l'uscita dell'attention
# cambia nella posizione 3 e in tutte quelle successive (che possono guardare indietro fino
# alla posizione 3), mentre l'uscita della feed-forward cambia solo nella posizione 3.

# %% id=cell-021 en=6ce7c53d
sa_changed = (block.sa(x_changed) - block.sa(x)).abs().amax(dim=(0, 2)) > 0
ff_changed = (block.ffwd(x_changed) - block.ffwd(x)).abs().amax(dim=(0, 2)) > 0
print("l'attention cambia nelle posizioni:   ", sa_changed.nonzero().flatten().tolist())
print("la feed-forward cambia nelle posizioni:", ff_changed.nonzero().flatten().tolist())

# %% [markdown] id=cell-022 en=726952ef
# ### Esercizio 2: il passaggio in avanti di un blocco
#
# Scrivi `my_block_forward(x, ln1, sa, ln2, ffwd)` usando le quattro parti di un blocco.

# %% id=cell-023 en=de90cea6
def my_block_forward(x, ln1, sa, ln2, ffwd):
    # TODO: comunicazione e poi calcolo, ognuno con il pre-norm, ognuno sommato a x
    raise NotImplementedError


check_block_forward(my_block_forward)

# %% [markdown] id=cell-025 en=6c2b03e2
# ## Connessioni residue e gradienti
#
# Senza connessione residua un blocco calcola $x_{l+1} = f_l(x_l)$, e per la regola della
# catena il gradiente che arriva al blocco 1 è un prodotto di matrici jacobiane, una per
# ogni blocco sopra di esso:
#
# $$\frac{\partial L}{\partial x_1} = \frac{\partial L}{\partial x_{n+1}}\,
#   \frac{\partial f_n}{\partial x_n} \cdots \frac{\partial f_1}{\partial x_1}.$$
#
# Se quei fattori sono piccoli, il prodotto si riduce in modo esponenziale con la
# profondità; se sono grandi, cresce. Con una connessione residua, $x_{l+1} = x_l + f_l(x_l)$,
# ogni fattore diventa $I + \frac{\partial f_l}{\partial x_l}$: l'identità offre al gradiente
# una strada diretta dalla loss a ogni blocco.
#
# Misuriamolo. `gradient_norms_per_block` costruisce un GPT nuovo con il numero di blocchi
# che gli chiedi (inizializzazione del corso, `n_embd=32`), esegue un batch, propaga
# all'indietro la loss e restituisce la norma del gradiente dei pesi di ogni blocco, dal
# blocco 1 (vicino all'ingresso) all'ultimo (vicino all'uscita). Per prima cosa togliamo le
# LayerNorm, così che a fare la differenza sia solo la connessione residua.

# %% id=cell-026 en=8fa4f0b2
depth = 12
curves = {
    "residua": gradient_norms_per_block(depth, residual=True, layernorm=False),
    "non residua": gradient_norms_per_block(depth, residual=False, layernorm=False),
}
for label, norms in curves.items():
    print(f"{label:>11}: " + " ".join(f"{v:.0e}" for v in norms))
fig = plot_gradient_norms(curves, title=f"{depth} blocchi senza LayerNorm")

# %% [markdown] id=cell-027 en=6fd65fc1
# Senza la connessione residua, il gradiente cala di ordini di grandezza da un blocco
# all'altro, andando dall'uscita verso l'ingresso. I primi blocchi mostrano una norma di 0
# (i triangoli). Il loro gradiente è davvero 0? `gradient_norms_per_block` eleva al
# quadrato ogni elemento del gradiente di un blocco e somma i quadrati in float32. In
# float32 non esiste nessun numero positivo sotto circa $1{,}4 \times 10^{-45}$ (lezione 03),
# quindi il quadrato di un elemento minuscolo viene arrotondato a 0:

# %% id=cell-028 en=a092b915
tiniest = torch.nextafter(torch.tensor(0.0), torch.tensor(1.0))     # il più piccolo float32 > 0
print(f"il più piccolo float32 positivo: {tiniest:.1e}")
print(f"(2.5e-23)**2 in float32: {torch.tensor(2.5e-23) ** 2}, in float64: "
      f"{torch.tensor(2.5e-23, dtype=torch.float64) ** 2:.2e}")

# %% [markdown] id=cell-029 en=8291f183
# Ripeti la stessa misura (stesso seed, stesso batch, stesso modello), ma somma i quadrati
# in float64:

# %% id=cell-030 en=c4e79804
def grad_norms_float64(depth, residual, layernorm, seed=0):
    """La misura di gradient_norms_per_block, con i quadrati sommati in float64."""
    cfg = GPTConfig(vocab_size=67, block_size=16, n_embd=32, n_head=4, n_layer=depth, dropout=0.0)
    with torch.random.fork_rng():          # gli stessi pesi di gradient_norms_per_block
        torch.manual_seed(seed)
        model = GPTLanguageModel(cfg)
    if not layernorm:
        without_layernorm(model)
    tokens = torch.randint(67, (8, 17), generator=torch.Generator().manual_seed(seed))
    idx, targets = tokens[:, :-1], tokens[:, 1:]                        # (B, T) ciascuno
    x = model.token_embedding_table(idx) + model.position_embedding_table(torch.arange(16))
    for block in model.blocks:
        x = block_forward(block, x, residual)                           # (B, T, C)
    logits = model.lm_head(model.ln_f(x))                               # (B, T, V)
    F.cross_entropy(logits.reshape(-1, 67), targets.reshape(-1)).backward()
    return [sum(p.grad.double().pow(2).sum() for p in b.parameters()).sqrt().item()
            for b in model.blocks]


f32, f64 = curves["non residua"], grad_norms_float64(depth, residual=False, layernorm=False)
large = [i for i, v in enumerate(f32) if v > 1e-20]     # nessun quadrato vicino al fondo del float32
assert all(abs(f64[i] - f32[i]) < 1e-3 * f32[i] for i in large)
zero = [i for i, v in enumerate(f32) if v == 0]
print(f"dove la norma in float32 è sopra 1e-20 (blocchi {large[0] + 1}-{depth}), "
      f"il float64 dà lo stesso valore a 3 cifre")
print(f"blocchi con norma 0 in float32: {[i + 1 for i in zero]}")
print(f"  le loro norme in float64: tutte sopra 0: {all(f64[i] > 0 for i in zero)}, "
      f"tutte sotto 1e-25: {all(f64[i] < 1e-25 for i in zero)}")
print(f"blocco {depth} (vicino all'uscita): {f64[-1]:.0e}")

# %% [markdown] id=cell-031 en=03f9fc21
# Il gradiente di quei blocchi quindi non è 0: è minuscolo, più di 20 ordini di grandezza
# sotto il gradiente dell'ultimo blocco, e i suoi quadrati scendono sotto quello che il
# float32 riesce a rappresentare. Con `x + ...`, gli stessi blocchi ricevono un gradiente
# della stessa grandezza ovunque.
#
# Il `Block` del corso ha anche le LayerNorm, che riportano in scala l'ingresso di ogni
# blocco. Rendono inutili le connessioni residue? Confronta i due casi con la LayerNorm, in
# una pila più profonda.

# %% id=cell-032 en=bb7487e1
depth = 24
curves = {
    "residua (il Block del corso)": gradient_norms_per_block(depth, residual=True),
    "non residua": gradient_norms_per_block(depth, residual=False),
}
for label, norms in curves.items():
    print(f"{label:>29}: blocco 1 {norms[0]:.2e}, blocco {depth} {norms[-1]:.2e}, "
          f"blocco {depth} / blocco 1 = {norms[-1] / norms[0]:.1f}")
fig = plot_gradient_norms(curves, title=f"{depth} blocchi con LayerNorm")

# %% [markdown] id=cell-033 en=8c6da48c
# Con la LayerNorm nessuna norma è vicina a 0. Una sola inizializzazione casuale però dice
# poco: ripeti la misura con quattro seed e confronta il gradiente dell'ultimo blocco con
# quello del primo (un rapporto sopra 1 vuol dire che il gradiente è più piccolo vicino
# all'ingresso).

# %% id=cell-034 en=ee71a990
for residual in (True, False):
    ratios, spreads = [], []
    for seed in range(4):
        norms = gradient_norms_per_block(depth, residual=residual, seed=seed)
        ratios.append(norms[-1] / norms[0])
        spreads.append(max(norms) / min(norms))
    print(f"{'residua' if residual else 'non residua':>11}: blocco {depth} / blocco 1 per i seed "
          f"0-3: {', '.join(f'{r:.3g}' for r in ratios)};  blocco più grande / più piccolo: "
          f"{', '.join(f'{v:.3g}' for v in spreads)}")

# %% [markdown] id=cell-035 en=2b954d94
# Senza connessioni residue (ma con la LayerNorm), il quadro cambia da un seed all'altro: il
# gradiente del blocco 1 va da circa cento volte più piccolo di quello del blocco 24 a un po'
# più grande. Con le connessioni residue ogni seed dà più o meno lo stesso quadro, e il
# blocco più grande e il più piccolo differiscono di un fattore 3 circa (stampato sopra). Le
# due idee lavorano insieme: le connessioni residue mantengono una strada diretta, e la
# LayerNorm mantiene stabile la scala dell'ingresso di ogni blocco.
#
# ### Prova tu
#
# Cambia il numero di blocchi e accendi o spegni le connessioni residue e le LayerNorm.
# Guarda quanti blocchi hanno norma 0 man mano che la pila cresce senza connessioni residue e
# senza LayerNorm. Il widget somma i quadrati in float32, come `gradient_norms_per_block`:
# uno 0 lì è un gradiente troppo piccolo per i quadrati del float32, come hai misurato
# sopra, non un gradiente davvero nullo.

# %% [markdown] id=cell-037 en=fba7ae5f
# ## Impilare i blocchi con `nn.Sequential`
#
# Il modello impila `n_layer` blocchi. Una list comprehension crea i blocchi, e `*` spacchetta
# la lista in argomenti separati, perché `nn.Sequential` vuole i moduli uno per uno, non una
# lista. (Gli appunti scrivono `Block(n_embd, n_head=n_head)`; il `Block` del corso vuole
# anche `block_size`, la dimensione della sua maschera causale.)

# %% id=cell-038 en=bd978c8a
n_layer = 3
blocks = nn.Sequential(*[Block(C, n_head, block_size) for _ in range(n_layer)])
print(f"{len(blocks)} blocchi, uscita {tuple(blocks(x).shape)}")

# %% [markdown] id=cell-039 en=331ca69d
# `GPTLanguageModel.blocks` è costruito allo stesso modo. Carica i suoi pesi nella nostra
# pila: le uscite sono uguali.

# %% id=cell-040 en=86e8026e
cfg = GPTConfig(vocab_size=67, block_size=block_size, n_embd=C, n_head=n_head, n_layer=n_layer)
model = GPTLanguageModel(cfg)
print(type(model.blocks).__name__, len(model.blocks), type(model.blocks[0]).__name__)
blocks.load_state_dict(model.blocks.state_dict())
assert_close(blocks(x), model.blocks(x))
print("il nostro nn.Sequential di Block == model.blocks")

# %% [markdown] id=cell-041 en=d42bfdb8
# ## Il dropout
#
# `nn.Dropout(p)` si comporta in modo diverso nelle due modalità di un modulo:
#
# - in modalità di **addestramento** (`.train()`), ogni valore viene messo a 0 con
#   probabilità `p`, e ogni valore che resta viene diviso per `1 - p`, così il valore atteso
#   non cambia;
# - in modalità di **valutazione** (`.eval()`), restituisce l'ingresso così com'è.
#
# L'idea: se a ogni passo qualunque attivazione può sparire, la rete non può affidarsi a una
# sola di esse, e questo tende a ridurre l'overfitting (il sovradattamento ai dati di
# addestramento). Guarda un vettore di uni:

# %% id=cell-042 en=c7e027d7
p = 0.25
drop = nn.Dropout(p)
ones = torch.ones(12)
drop.train()
y_train = drop(ones)
drop.eval()
y_eval = drop(ones)
print("train:", y_train)
print("eval: ", y_eval)
fig = plot_dropout(ones, y_train, y_eval, p)

# %% [markdown] id=cell-043 en=239d1ce4
# Su tanti valori, verifica ogni affermazione con i numeri.

# %% id=cell-044 en=26830ce2
big = torch.rand(100_000) + 0.5
drop.train()
out = drop(big)
kept = out != 0
print(f"frazione azzerata: {1 - kept.float().mean():.4f}   (p = {p})")
assert_close(out[kept], big[kept] / (1 - p))
print(f"i valori tenuti sono x / (1 - p) = x * {1 / (1 - p):.4f}")
print(f"media prima: {big.mean():.4f}   media dopo: {out.mean():.4f}")
drop.eval()
assert torch.equal(drop(big), big)
print("modalità eval: l'uscita è l'ingresso, identica")

# %% [markdown] id=cell-045 en=d69f8328
# In un blocco il dropout sta in tre punti: sui pesi dell'attention di ogni head, dopo la
# proiezione `proj` dell'attention e alla fine della rete feed-forward. (La
# `CausalSelfAttention` che lavora in batch passa il primo a `scaled_dot_product_attention`
# come `dropout_p`, quindi lì non è un modulo; la cella usa le head separate per elencarli
# tutti.) Con il dropout attivo, due passaggi in avanti in modalità di addestramento danno
# risultati diversi; in modalità di valutazione sono uguali. Per questo chiami
# `model.eval()` prima di misurare una loss o di generare testo.

# %% id=cell-046 en=96c309a8
block_d = Block(C, n_head, block_size, dropout=0.2, attention="heads")
print([name for name, m in block_d.named_modules() if isinstance(m, nn.Dropout)])
block_d.train()
print("modalità train, due passaggi uguali:", torch.equal(block_d(x), block_d(x)))
block_d.eval()
print("modalità eval, due passaggi uguali: ", torch.equal(block_d(x), block_d(x)))

# %% [markdown] id=cell-047 en=a7b6cc9e
# Il dropout riduce davvero l'overfitting? L'ha misurato `scripts/measure_dropout.py`. Per
# arrivare all'overfitting in pochi minuti su una CPU, addestra un GPT a 2 layer solo sui
# primi 100.000 caratteri del testo di addestramento per 1.500 passi, una volta con `p = 0`
# e una con `p = 0.2`, con due seed ciascuna, e stima le loss di train e di val ogni 250
# passi. Il testo di val è quello solito, che il modello non vede mai. L'addestramento
# richiede minuti, quindi la lezione carica il risultato, `data/dropout_gap.json`:

# %% id=cell-048 en=bfa43f4d
dropout_runs = json.loads((DATA_DIR / "dropout_gap.json").read_text(encoding="utf-8"))
print(dropout_runs["command"], "| modello:", dropout_runs["model"], "| CPU:", dropout_runs["cpu"])
print(f"{'dropout':>7} {'seed':>4} {'train':>7} {'val':>7} {'scarto':>7} {'val minima (passo)':>18}")
gaps = {}
for r in dropout_runs["runs"]:
    gap = r["val_loss"][-1] - r["train_loss"][-1]
    gaps.setdefault(r["dropout"], []).append((r["seed"], gap, r["val_loss"][-1]))
    best = min(range(len(r["val_loss"])), key=lambda i: r["val_loss"][i])
    print(f"{r['dropout']:>7} {r['seed']:>4} {r['train_loss'][-1]:>7.4f} {r['val_loss'][-1]:>7.4f} "
          f"{gap:>+7.4f} {r['val_loss'][best]:>10.4f} ({r['eval_steps'][best]})")
pairs = list(zip(gaps[0.0], gaps[0.2]))          # lo stesso seed, senza e con dropout
print("con p = 0.2 lo scarto è più piccolo, seed per seed:", all(b[1] < a[1] for a, b in pairs))
print("con p = 0.2 la loss di val finale è più bassa, seed per seed:", all(b[2] < a[2] for a, b in pairs))
lowest = {r["dropout"]: [] for r in dropout_runs["runs"]}
for r in dropout_runs["runs"]:
    lowest[r["dropout"]].append(min(r["val_loss"]))
print("senza dropout, la loss di val più bassa lungo il percorso è sotto quella finale con dropout:",
      all(a < b[2] for a, b in zip(lowest[0.0], gaps[0.2])))

# %% [markdown] id=cell-049 en=571f3246
# Senza dropout il modello impara il piccolo testo di addestramento molto meglio di quanto
# predica un testo nuovo: lo scarto tra la loss di train e quella di val supera 1 (la
# tabella). Con `p = 0.2` la loss di train è più alta (la rete non può appoggiarsi a una
# singola attivazione), lo scarto è più piccolo e la loss di val alla fine è più bassa, con
# tutti e due i seed. La colonna "val minima" mostra l'altro segno dell'overfitting: senza
# dropout la loss di val è stata minima al passo 750 e poi è risalita, e quel minimo è
# perfino un po' sotto il punto dove arriva il dropout (l'ultima riga). Fermarsi al passo
# giusto è un'altra cura contro l'overfitting; il dropout ha permesso di continuare
# l'addestramento senza che la loss di val peggiorasse. È un solo piccolo esperimento, su un
# testo abbastanza piccolo da andare in overfitting; gli addestramenti brevi delle lezioni,
# sull'intero testo di addestramento, usano `dropout=0.0`.

# %% [markdown] id=cell-050 en=12570e8c
# ### Esercizio 3: il dropout a mano
#
# Scrivi `my_dropout(x, p, training)`. In modalità di addestramento metti a 0 ogni valore con
# probabilità `p` (usa `torch.rand_like(x)`) e dividi i valori tenuti per `1 - p`.
# Altrimenti restituisci `x` così com'è.

# %% id=cell-051 en=f35fb371
def my_dropout(x, p, training):
    # TODO: una maschera casuale che tiene ogni valore con probabilità 1 - p, e la scala
    raise NotImplementedError


check_dropout(my_dropout)

# %% [markdown] id=cell-053 en=e9b28fbf
# ## Riepilogo
#
# - `nn.Sequential(a, b, c)` calcola `c(b(a(x)))`; `nn.Sequential(*list)` spacchetta una
#   lista.
# - `FeedForward` (`C → 4C → ReLU → C`, poi il dropout) lavora su ogni posizione
#   separatamente; l'attention è l'unico punto in cui le posizioni si scambiano
#   informazione.
# - Un `Block` è `x = x + sa(ln1(x))` e poi `x = x + ffwd(ln2(x))`: pre-norm, con connessioni
#   residue.
# - Le connessioni residue danno al gradiente una strada diretta: senza di loro (e senza
#   LayerNorm) il gradiente di una pila profonda cala di più di 20 ordini di grandezza verso
#   l'ingresso, tanto che il float32 arrotonda a 0 i suoi quadrati.
# - Il dropout, in modalità di addestramento, azzera una frazione `p` dei valori e moltiplica
#   gli altri per `1/(1-p)`; in modalità di valutazione non fa nulla.
#
# **Prossima lezione:** la [lezione 07: la LayerNorm](07_layernorm.ipynb) guarda da vicino
# `ln1`, `ln2` e `ln_f`.
