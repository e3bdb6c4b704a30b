# Il testo italiano di notebooks/src/02_bigram.py (formato: scripts/build_notebooks.py;
# termini: docs/it/glossario.md).

# %% [markdown] id=cell-000 en=678bf29e
# # Lezione 02: il modello bigramma
#
# Il modello linguistico più semplice predice il carattere successivo guardando soltanto
# quello attuale. Una coppia di caratteri vicini si chiama **bigramma**. Costruiamo questo
# modello due volte: prima contando le coppie nel testo, poi come rete neurale,
# `BigramLanguageModel`, addestrata con la discesa del gradiente. I due modelli dovrebbero
# imparare la stessa cosa, e lo verifichiamo.
#
# **Cosa imparerai**
# - a contare i bigrammi in una matrice, a trasformare i conteggi in probabilità e a
#   campionare del testo;
# - come `BigramLanguageModel` tiene in una tabella di embedding i punteggi del token
#   successivo (i logit);
# - a scrivere il suo `forward(idx, targets)`, e perché i logit vanno rimodellati in
#   `(B·T, C)`;
# - quale loss aspettarsi prima dell'addestramento, e perché la nostra parte più alta;
# - a scrivere `generate`, una stima della loss e il ciclo di addestramento con AdamW
#   (`zero_grad`, `backward`, `step`), e a vedere che il tuo ciclo addestra esattamente
#   come `course_lib.train`;
# - a leggere una curva della loss, e a confrontare il modello addestrato con quello dei
#   conteggi.
#
# **Prerequisiti:** [lezione 00](00_text_to_tokens.ipynb) (token, suddivisione del testo,
# batch) e [lezione 01](01_embeddings.ipynb) (`nn.Embedding` come tabella).

# %% [markdown] id=cell-001 en=0ecddf15
# ## Preparazione

# %% id=cell-002 en=6ffd2ebf setup
from course_lib import set_language

set_language("it")                       # course_lib ti parlerà in italiano

import copy
import math

import torch
import torch.nn.functional as F

from course_lib import (BigramLanguageModel, GPTConfig, GPTLanguageModel, estimate_loss, get_batch,
                        load_corpus, train)
from course_lib.core.training import DEFAULTS
from course_lib.lessons.bigram import bigram_counts, bigram_probs, counting_model_loss, sample_from_probs
from course_lib.lessons.checks import (check_bigram_counts, check_bigram_forward, check_bigram_generate,
                                       check_counting_loss, check_estimate_loss, check_training_loop)
from course_lib.lessons.plots import plot_bigram_loss_curves, plot_bigram_matrix
from course_lib.lessons.widgets import next_char_explorer

# i tensori di questa lezione sono minuscoli: un solo thread della CPU è più veloce di due
# che si aspettano a vicenda
torch.set_num_threads(1)
torch.manual_seed(1337)
corpus = load_corpus()
tokenizer, chars = corpus.tokenizer, corpus.tokenizer.chars
vocab_size = tokenizer.vocab_size
train_data, val_data = corpus.train_data, corpus.val_data
print(f"vocab_size = {vocab_size}, train {len(train_data):,} token, val {len(val_data):,} token")

# %% [markdown] id=cell-003 en=07feb6c9
# ## Contare i bigrammi
#
# Percorri il testo di addestramento e conta ogni coppia (carattere attuale, carattere
# successivo). Con 67 caratteri le coppie possibili sono 67 × 67, quindi i conteggi stanno
# in una matrice `N` di 67 × 67: la riga `i` è il carattere attuale, la colonna `j` quello
# successivo, e `N[i, j]` dice quante volte `j` è venuto dopo `i`. Contiamo soltanto sulla
# parte di addestramento, così il testo di validazione resta nuovo per il modello.

# %% id=cell-004 en=1b3f32c7
text = "to be, or not to be"
pairs = list(zip(text, text[1:]))
print(f"{len(text)} caratteri contengono {len(pairs)} bigrammi:", pairs[:6], "...")

# %% [markdown] id=cell-005 en=e908605b
# ### Esercizio 1: la matrice dei conteggi
#
# Scrivi `my_bigram_counts(data, vocab_size)`: dato un tensore 1-D di ID di token,
# restituisci un tensore `(vocab_size, vocab_size)` in cui l'elemento `[i, j]` conta quante
# volte il token `j` viene subito dopo il token `i`. Va benissimo un semplice ciclo Python.

# %% id=cell-006 en=622209e5
def my_bigram_counts(data, vocab_size):
    # TODO: un tensore di zeri (vocab_size, vocab_size), poi aggiungi 1 per ogni coppia (attuale, successivo)
    raise NotImplementedError


check_bigram_counts(my_bigram_counts)

# %% [markdown] id=cell-008 en=e7bb905a
# `course_lib.bigram.bigram_counts` fa la stessa cosa senza un ciclo Python (dà a ogni
# coppia un numero, `i * V + j`, e conta quei numeri con `torch.bincount`). Su un pezzo del
# testo le due funzioni danno esattamente lo stesso risultato; poi contiamo tutta la parte
# di addestramento.

# %% id=cell-009 en=9774fc14
assert torch.equal(solution_bigram_counts(train_data[:5000], vocab_size),
                   bigram_counts(train_data[:5000], vocab_size))
counts = bigram_counts(train_data, vocab_size)                  # (V, V)
print("counts:", tuple(counts.shape), f" totale {int(counts.sum()):,} = token di train - 1")
never = int((counts == 0).sum())
print(f"{never:,} delle {vocab_size ** 2:,} coppie possibili non compaiono mai nel testo di addestramento")

# %% id=cell-010 en=896f75f4
fig = plot_bigram_matrix(counts, chars, "Conteggi dei bigrammi nel testo di addestramento (colori in scala logaritmica)",
                         "conteggio + 1 (scala log)")

# %% [markdown] id=cell-011 en=67802eed
# Le celle chiare sono le coppie frequenti; righe e colonne scure appartengono ai caratteri
# rari. Qualche regolarità da cercare nell'immagine: dopo `q` è chiara soltanto la `u`; a
# un a capo segue di solito una maiuscola (i nomi di chi parla e i versi cominciano
# così); a una minuscola non segue quasi mai una maiuscola (il blocco scuro in
# basso al centro).
# I numeri dietro queste regolarità, e le coppie più frequenti:

# %% id=cell-012 en=62aceac9
upper_ids = [tokenizer.stoi[c] for c in chars if c.isupper()]
lower_ids = [tokenizer.stoi[c] for c in chars if c.islower()]
nl = tokenizer.stoi["\n"]
print(f"'q' è seguita da 'u' {int(counts[tokenizer.stoi['q'], tokenizer.stoi['u']])} volte "
      f"su {int(counts[tokenizer.stoi['q']].sum())}")
print(f"un a capo è seguito da una maiuscola nel {counts[nl, upper_ids].sum() / counts[nl].sum():.1%} dei casi")
print(f"una minuscola è seguita da una maiuscola {int(counts[lower_ids][:, upper_ids].sum())} "
      f"volte su {int(counts[lower_ids].sum()):,}")
top = torch.topk(counts.flatten(), 8)
for n, k in zip(top.values.tolist(), top.indices.tolist()):
    i, j = divmod(k, vocab_size)
    print(f"{chars[i]!r} -> {chars[j]!r}: {n:,}")

# %% [markdown] id=cell-013 en=a30eea20
# ## Dai conteggi alle probabilità
#
# Dividi ogni riga per la sua somma e la riga diventa una distribuzione di probabilità sul
# carattere successivo: $P(j \mid i) = N_{ij} / \sum_k N_{ik}$. Così però una coppia mai
# vista riceve probabilità 0, e se compare in un testo nuovo il modello ne è "infinitamente
# sorpreso". Lo **smoothing** (lisciamento) risolve il problema: prima si aggiunge un
# numero piccolo (qui 1) a ogni conteggio, così ogni coppia conserva un po' di probabilità.

# %% id=cell-014 en=bfe4cb52
probs = bigram_probs(counts, smoothing=1.0)                     # (V, V)
torch.testing.assert_close(probs.sum(dim=1), torch.ones(vocab_size))
assert (probs > 0).all()                                        # ogni coppia conserva un po' di probabilità
q, u = tokenizer.stoi["q"], tokenizer.stoi["u"]
print(f"P('u' | 'q') = {probs[q, u]:.4f} con lo smoothing, "
      f"{counts[q, u] / counts[q].sum():.4f} senza")

# %% [markdown] id=cell-015 en=c9820a48
# ## Quanto è buono il modello dei conteggi? La loss
#
# Giudichiamo un modello da quanto lo sorprende il vero carattere successivo: la
# **log-verosimiglianza negativa** $-\ln P(\text{successivo} \mid \text{attuale})$, in media
# su tutte le coppie. È la stessa loss di cross-entropy che riporta una rete neurale. Un
# modello che non sa nulla dà a ogni carattere probabilità $1/67$, quindi la sua loss è
# $-\ln(1/67) = \ln 67$.

# %% id=cell-016 en=b17ebd14
uniform_loss = -math.log(1 / vocab_size)
print(f"tirando a indovinare in modo uniforme: -ln(1/{vocab_size}) = {uniform_loss:.4f}")

# %% [markdown] id=cell-017 en=cf0c68bc
# ### Esercizio 2: la loss del modello dei conteggi
#
# Scrivi `my_counting_loss(probs, data)`: la media di $-\ln$ `probs[data[t], data[t+1]]` su
# tutte le coppie di vicini in `data`. Restituisci un solo numero.

# %% id=cell-018 en=fb2cfd4a
def my_counting_loss(probs, data):
    # TODO: prendi la probabilità di ogni coppia (attuale, successivo), poi la media di -log
    raise NotImplementedError


check_counting_loss(my_counting_loss)

# %% [solution] id=cell-019 en=5e08a2e9
def solution_counting_loss(probs, data):
    p = probs[data[:-1], data[1:]]        # una probabilità per coppia
    return -p.log().mean()


check_counting_loss(solution_counting_loss)

# %% id=cell-020 en=1c151138
train_count_loss = counting_model_loss(probs, train_data)
val_count_loss = counting_model_loss(probs, val_data)
print(f"modello dei conteggi: loss di train {train_count_loss:.4f}, loss di val {val_count_loss:.4f}")
raw = bigram_probs(counts, smoothing=0.0)
val_counts = bigram_counts(val_data, vocab_size)
unseen = (val_counts > 0) & (counts == 0)          # coppie del testo di val, mai viste in addestramento
print(f"senza smoothing: loss di val {counting_model_loss(raw, val_data)}, perché "
      f"{int(unseen.sum())} coppie diverse che non compaiono mai nel testo di addestramento compaiono "
      f"{int(val_counts[unseen].sum())} volte nel testo di val:")
print("  " + ", ".join(f"{chars[i]!r}{chars[j]!r}" for i, j in unseen.nonzero().tolist()))

# %% [markdown] id=cell-021 en=8553dbcd
# Da 4,2047 a circa 2,49: conoscere il carattere attuale toglie molta incertezza. Senza
# smoothing, quelle poche coppie mai viste rendono infinita la loss di validazione: ogni
# volta che compaiono ricevono probabilità 0, e $-\ln 0 = \infty$.
#
# ## Campionare dal modello dei conteggi
#
# Per scrivere del testo si parte da un a capo, si sceglie a caso il carattere successivo
# con le probabilità della riga attuale (`torch.multinomial`) e si ripete.

# %% [markdown] id=cell-023 en=b0847093
# Ha l'aria del testo originale (i nomi di chi parla su una riga a sé, parole brevi, spazi
# in posti plausibili) ma, a parte qualche parola corta, di parole vere non ce ne sono: un
# carattere di memoria non basta.
#
# ## Lo stesso modello come rete neurale
#
# `BigramLanguageModel` contiene un solo `nn.Embedding(vocab_size, vocab_size)`, la
# `token_embedding_table`. La riga `i` non è un vettore di significato come nella lezione
# 01: contiene 67 punteggi (i **logit**), uno per ogni possibile carattere successivo. La
# softmax trasforma una riga di logit in probabilità come la normalizzazione trasformava
# una riga di conteggi in probabilità: la softmax prende $e^{\text{logit}}$ e poi
# normalizza, quindi una tabella che contenesse i logaritmi dei conteggi darebbe
# esattamente il modello dei conteggi (la cella lo verifica). Questa tabella fa dunque la
# parte della matrice dei conteggi, ma si impara con la discesa del gradiente.

# %% id=cell-024 en=6a403979
torch.manual_seed(1337)
model = BigramLanguageModel(vocab_size)
print(model)
print("tabella:", tuple(model.token_embedding_table.weight.shape), "=", f"{model.num_parameters():,} parametri")
torch.testing.assert_close(F.softmax((counts + 1.0).log(), dim=1), probs)   # i log dei conteggi come logit

# %% [markdown] id=cell-025 en=34852893
# ## `forward(idx, targets)`: logit e loss
#
# L'ingresso è un batch di ID di token `idx` di forma `(B, T)`. Cercando ciascuno nella
# tabella si ottengono logit di forma `(B, T, C)`, con `C = vocab_size` punteggi in ogni
# posizione. I logit sono punteggi grezzi di segno qualsiasi, non probabilità; è la softmax
# a trasformarli in probabilità. Con `targets` (le stesse finestre spostate di uno, da
# `get_batch`) restituisce anche la loss.

# %% id=cell-026 en=da576bb2
g = torch.Generator().manual_seed(1337)
xb, yb = get_batch(train_data, batch_size=4, block_size=8, generator=g)
logits, loss = model(xb, yb)
print("idx:", tuple(xb.shape), " targets:", tuple(yb.shape), " logits:", tuple(logits.shape))
print(f"loss = {loss.item():.4f}")
row = logits[0, 0]
print(f"una riga di logit: da {row.min():.2f} a {row.max():.2f}, somma {row.sum():.2f}: punteggi, "
      f"non probabilità; dopo la softmax la somma è {F.softmax(row, dim=0).sum():.4f}")

# %% [markdown] id=cell-027 en=aa35f0b7
# `F.cross_entropy` vuole i punteggi delle classi in un tensore 2-D di forma `(N, C)` e le
# classi in un tensore 1-D di forma `(N,)`. Il nostro batch contiene B·T = 32 posizioni,
# ognuna un esempio indipendente. Il modello quindi appiattisce batch e tempo in una sola
# dimensione: `(B, T, C) → (B·T, C)` e `(B, T) → (B·T,)`. Passare direttamente i logit 3-D
# non funziona: PyTorch leggerebbe la dimensione 1 (il tempo) come quella delle classi.

# %% id=cell-028 en=de7e3206
B, T, C = logits.shape
flat_logits, flat_targets = logits.view(B * T, C), yb.view(B * T)
print(tuple(logits.shape), "->", tuple(flat_logits.shape), "  ", tuple(yb.shape), "->", tuple(flat_targets.shape))
torch.testing.assert_close(F.cross_entropy(flat_logits, flat_targets), loss)
try:
    F.cross_entropy(logits, yb)
except RuntimeError as err:
    print("F.cross_entropy(logits, yb) non funziona:", str(err).splitlines()[0])

# %% [markdown] id=cell-029 en=be8df646
# ### Esercizio 3: il forward
#
# Scrivi `my_forward(model, idx, targets=None)`: quello che fa
# `BigramLanguageModel.forward`. Prendi i logit da `model.token_embedding_table`; senza
# targets restituisci `(logits, None)`; con i targets anche la cross-entropy di logit e
# targets appiattiti. Restituisci i logit nella loro forma `(B, T, C)`: il codice della
# lezione video restituisce la vista appiattita `(B·T, C)` quando ha i targets, ma a
# `generate` servono le posizioni, quindi il corso le conserva. Scrivi tu la ricerca nella
# tabella: la verifica rifiuta `model(idx)`, il forward della libreria.

# %% id=cell-030 en=b41adab7
def my_forward(model, idx, targets=None):
    # TODO: logits = le righe della tabella per idx, forma (B, T, C)
    # TODO: senza targets: return logits, None. Altrimenti appiattisci entrambi e usa F.cross_entropy
    raise NotImplementedError


check_bigram_forward(my_forward)

# %% [markdown] id=cell-032 en=9fe79356
# La soluzione dà i logit e la loss della libreria, bit per bit:

# %% id=cell-033 en=bac5334d
solution_logits, solution_loss = solution_forward(model, xb, yb)
assert torch.equal(solution_logits, logits) and torch.equal(solution_loss, loss)
print(f"solution_forward: logits {tuple(solution_logits.shape)}, loss {solution_loss.item():.4f}, "
      f"gli stessi di model(xb, yb)")

# %% [markdown] id=cell-034 en=c2c6a4e4
# ## La loss prima dell'addestramento
#
# Se il modello desse a ogni carattere la stessa probabilità, la sua loss sarebbe
# $-\ln(1/67) = 4{,}2047$. La nostra parte più alta. `nn.Embedding` riempie la sua tabella
# con una distribuzione normale di deviazione standard 1, quindi i logit di una riga
# differiscono di qualche unità e la softmax li trasforma in una distribuzione sbilanciata,
# sicura di sé e casuale. Essere sicuri e sbagliare costa più che essere uniformi.

# %% id=cell-035 en=a774f934
@torch.no_grad()
def full_loss(table, data):
    """La loss bigramma di una tabella di logit (V, V) su tutte le coppie di `data` (qui: il testo di val)."""
    return F.cross_entropy(table[data[:-1]], data[1:]).item()


W = model.token_embedding_table.weight
print(f"attesa tirando a indovinare in modo uniforme: {uniform_loss:.4f}")
print(f"questo modello all'inizializzazione:  {full_loss(W, val_data):.4f}   (pesi: std {W.std():.3f})")
print(f"lo stesso modello, tabella azzerata:  {full_loss(torch.zeros_like(W), val_data):.4f}")
assert abs(full_loss(torch.zeros_like(W), val_data) - uniform_loss) < 1e-5     # ln 67, con la precisione del float32
print(f"probabilità più grande di una riga all'inizio, in media: {F.softmax(W, dim=1).max(dim=1).values.mean():.3f}"
      f" (uniforme: {1 / vocab_size:.3f})")

# %% [markdown] id=cell-036 en=4aaa23ad
# Con una tabella azzerata tutti i logit sono uguali, quindi la loss è esattamente $\ln 67$.
# Più grandi sono i logit casuali, più alta è la loss di partenza:

# %% id=cell-037 en=6fd403db
gen = torch.Generator().manual_seed(0)
for std in [0.0, 0.02, 0.5, 1.0, 2.0]:
    losses = [full_loss(std * torch.randn(vocab_size, vocab_size, generator=gen), val_data)
              for _ in range(3)]
    print(f"std iniziale {std:<4}: loss {sum(losses) / len(losses):.4f}")

# %% [markdown] id=cell-038 en=2036a2d9
# Per questo il GPT della lezione 08 inizializza i pesi con una deviazione standard piccola
# (0,02): la prima loss di un GPT appena costruito è vicina a $\ln 67$, come mostra la cella
# qui sotto. Il modello bigramma tiene l'inizializzazione predefinita; impara in fretta lo
# stesso (lo vedrai nella curva più avanti).

# %% id=cell-039 en=9c2e39ea
with torch.random.fork_rng():                      # lascia stare i numeri casuali di questo notebook
    torch.manual_seed(0)
    gpt = GPTLanguageModel(GPTConfig(vocab_size=vocab_size))
    with torch.no_grad():
        _, gpt_loss = gpt(*get_batch(val_data, 32, gpt.cfg.block_size,
                                     generator=torch.Generator().manual_seed(0)))
print(f"un GPT nuovo ({gpt.num_parameters():,} parametri, pesi con std 0.02): prima loss "
      f"{gpt_loss.item():.4f}; ln {vocab_size} = {uniform_loss:.4f}")

# %% [markdown] id=cell-040 en=3541c68a
# ## Generare testo
#
# `generate(idx, max_new_tokens)` scrive testo come faceva il nostro campionatore basato sui
# conteggi: prende i logit dell'ultima posizione, applica la softmax, campiona un token, lo
# aggiunge in fondo e ripete. Restituisce `idx` con i nuovi token aggiunti, di forma
# `(B, T + max_new_tokens)`.
#
# ### Esercizio 4: generate
#
# Scrivi `my_generate(model, idx, max_new_tokens, generator=None)`. Ripeti
# `max_new_tokens` volte: i logit di `model(idx)`; l'ultima posizione, `logits[:, -1, :]`
# di forma `(B, C)`; la softmax;
# `torch.multinomial(probs, num_samples=1, generator=generator)` di forma `(B, 1)`, il
# token estratto; aggiungilo in fondo con `torch.cat((idx, idx_next), dim=1)`. Passa avanti il generatore: così lo stesso seed dà
# lo stesso testo, e la verifica confronta i tuoi token con quelli di `model.generate`, uno
# per uno. Non chiamare `model.generate` (la verifica lo rifiuta).

# %% id=cell-041 en=c2456744
def my_generate(model, idx, max_new_tokens, generator=None):
    # TODO: max_new_tokens volte: logit, ultima posizione, softmax, multinomial, torch.cat
    raise NotImplementedError


check_bigram_generate(my_generate)

# %% [solution] id=cell-042 en=adc3295e
def solution_generate(model, idx, max_new_tokens, generator=None):
    for _ in range(max_new_tokens):
        logits, _ = model(idx)                                       # (B, T, C)
        probs = F.softmax(logits[:, -1, :], dim=-1)                  # (B, C): l'ultima posizione
        idx_next = torch.multinomial(probs, num_samples=1, generator=generator)   # (B, 1)
        idx = torch.cat((idx, idx_next), dim=1)                      # (B, T + 1)
    return idx


check_bigram_generate(solution_generate)

# %% [markdown] id=cell-043 en=6af5bc6b
# Con lo stesso seed la soluzione scrive esattamente quello che scrive `model.generate`. (La
# libreria passa al modello bigramma solo l'ultimo token, perché nient'altro cambia i suoi
# logit successivi; passare tutto `idx` dà la stessa ultima riga, solo più lentamente.)
# Senza addestramento, è rumore:

# %% id=cell-044 en=7162b6c1
start = torch.tensor([[tokenizer.stoi["\n"]]])                  # (B, T) = (1, 1)
ours = solution_generate(model, start, 80, generator=torch.Generator().manual_seed(1337))
library = model.generate(start, 80, generator=torch.Generator().manual_seed(1337))
assert torch.equal(ours, library)
print(tuple(start.shape), "->", tuple(ours.shape))
print(repr(tokenizer.decode(ours[0])))

# %% [markdown] id=cell-045 en=63a58dea
# ## Addestrare con AdamW
#
# L'addestramento ripete molte volte un passo:
#
# 1. prendi un batch casuale `xb, yb` del testo di addestramento;
# 2. fai girare il modello: `logits, loss = model(xb, yb)`;
# 3. `optimizer.zero_grad()`: azzera i gradienti del passo precedente (PyTorch somma i
#    nuovi gradienti ai vecchi, se non li si azzera);
# 4. `loss.backward()`: calcola il gradiente della loss rispetto a ogni peso;
# 5. `optimizer.step()`: sposta ogni peso di poco nella direzione opposta al suo gradiente.
#
# Il punto 3 conta perché `backward` somma in `.grad`. Due backward senza azzerare danno il
# doppio del gradiente:

# %% id=cell-046 en=9a3eea5e
_, loss_a = model(xb, yb)
loss_a.backward()
once = model.token_embedding_table.weight.grad.clone()
_, loss_b = model(xb, yb)
loss_b.backward()                                               # nessuno zero_grad in mezzo
torch.testing.assert_close(model.token_embedding_table.weight.grad, 2 * once)
model.zero_grad(set_to_none=True)                               # non lasciare gradienti in giro
print("dopo due backward senza zero_grad, .grad contiene il doppio del gradiente")

# %% [markdown] id=cell-047 en=773d4dc0
# L'ottimizzatore **AdamW** esegue il punto 5 con un passo diverso per ogni peso, ricavato
# da medie mobili dei gradienti di quel peso (per questo lo si crea una volta sola, prima
# del ciclo, e conserva le sue medie da un passo all'altro), più una piccola spinta di ogni
# peso verso 0 (il weight decay).
#
# ### Una stima della loss
#
# Per seguire l'addestramento ci serve la loss, ma la loss di un solo batch è rumorosa:
# ogni batch è un pezzo di testo diverso, scelto a caso.

# %% id=cell-048 en=62535c18
g = torch.Generator().manual_seed(0)
with torch.no_grad():
    one_batch = [model(*get_batch(train_data, 32, 8, generator=g))[1].item() for _ in range(20)]
print(f"20 batch del modello non addestrato: loss da {min(one_batch):.3f} a "
      f"{max(one_batch):.3f}, media {sum(one_batch) / len(one_batch):.3f}")
print("estimate_loss (la media di 20 batch per parte):",
      estimate_loss(model, train_data, val_data, block_size=8))

# %% [markdown] id=cell-049 en=f1ff93d2
# Una stima fa la media su `eval_iters` batch di ciascuna parte. Li estrae da un generatore
# inizializzato ogni volta con lo stesso seed, così due stime vedono gli stessi batch e
# differiscono solo perché il modello è cambiato. Fa girare il modello in modalità di
# valutazione (`model.eval()`: niente dropout, nei modelli che lo hanno) e senza gradienti
# (`torch.no_grad()`: non segue nessun backward, e registrare il grafo costa memoria), poi
# torna indietro con `model.train()`.
#
# ### Esercizio 5: stimare la loss
#
# Scrivi `my_estimate_loss(model, train_data, val_data, eval_iters=20, batch_size=32,
# block_size=8, seed=0)`. Restituisci `{"train": ..., "val": ...}`, la loss media su
# `eval_iters` batch di ciascuna parte. Per ogni parte crea un generatore nuovo,
# `torch.Generator().manual_seed(seed)`, ed estrai i batch con
# `get_batch(data, batch_size, block_size, generator=g)`. Decora la funzione con
# `@torch.no_grad()`, chiama `model.eval()` all'inizio e `model.train()` alla fine.

# %% id=cell-050 en=a3947520
def my_estimate_loss(model, train_data, val_data, eval_iters=20, batch_size=32, block_size=8,
                     seed=0):
    # TODO: per ogni parte, un generatore nuovo e la media delle loss di eval_iters batch
    raise NotImplementedError


check_estimate_loss(my_estimate_loss)

# %% [markdown] id=cell-052 en=570f031d
# È `course_lib.estimate_loss`, numero per numero:

# %% [markdown] id=cell-054 en=45fcebfd
# ### Esercizio 6: il ciclo di addestramento
#
# Scrivi `my_train(...)`, il ciclo del `bigram.py` della lezione video: crea l'ottimizzatore
# una volta sola, `torch.optim.AdamW(model.parameters(), lr=lr)`, poi fai `max_iters`
# passi. Prima dei passi 0, `eval_interval`, `2 * eval_interval`, ... registra una stima
# della loss, e un'altra dopo il ciclo. Lo scheletro fissa il generatore `g` e la chiamata
# della stima, così la verifica può confrontare la tua esecuzione con `course_lib.train`
# con lo stesso seed. Restituisci la lista delle loss dei singoli passi (`loss.item()`) e
# il dizionario delle stime.

# %% id=cell-055 en=55b88ca5
def my_train(model, train_data, val_data, max_iters=3000, eval_interval=300, lr=1e-2,
             batch_size=32, block_size=8, seed=1337):
    g = torch.Generator().manual_seed(seed)            # estrae i batch di addestramento
    losses, estimates = [], {}
    # TODO: l'ottimizzatore AdamW su model.parameters(), con learning rate lr
    for step in range(max_iters):
        # TODO: quando step % eval_interval == 0, prima del passo:
        #   estimates[step] = estimate_loss(model, train_data, val_data,
        #                                   batch_size=batch_size, block_size=block_size)
        # TODO: un passo: xb, yb = get_batch(train_data, batch_size, block_size, generator=g),
        #   la loss, zero_grad, backward, step; poi losses.append(loss.item())
        raise NotImplementedError
    estimates[max_iters] = estimate_loss(model, train_data, val_data, batch_size=batch_size,
                                         block_size=block_size)
    return losses, estimates


check_training_loop(my_train)

# %% [solution] id=cell-056 en=6bda5c42
def solution_train(model, train_data, val_data, max_iters=3000, eval_interval=300, lr=1e-2,
                   batch_size=32, block_size=8, seed=1337, fused=None):
    g = torch.Generator().manual_seed(seed)            # estrae i batch di addestramento
    losses, estimates = [], {}
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, fused=fused)
    for step in range(max_iters):
        if step % eval_interval == 0:
            estimates[step] = estimate_loss(model, train_data, val_data,
                                            batch_size=batch_size, block_size=block_size)
        xb, yb = get_batch(train_data, batch_size, block_size, generator=g)
        _, loss = model(xb, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    estimates[max_iters] = estimate_loss(model, train_data, val_data, batch_size=batch_size,
                                         block_size=block_size)
    return losses, estimates


check_training_loop(solution_train)

# %% [markdown] id=cell-057 en=7795651b
# ## Il tuo ciclo è `course_lib.train`
#
# `course_lib.train` esegue lo stesso ciclo, con una barra di avanzamento. Di serie aggiunge
# la ricetta della lezione 08 (un breve warmup, un learning rate che decresce, il gradient
# clipping); `min_lr=None, warmup_iters=0, grad_clip=None` li disattivano, e resta il
# semplice ciclo della lezione video. Con lo stesso seed estrae gli stessi batch dallo
# stesso generatore. Prima `course_lib.train`, a partire dai pesi non addestrati del
# modello:

# %% id=cell-058 en=60d980b8
start_state = copy.deepcopy(model.state_dict())                # i pesi non addestrati
init_table = model.token_embedding_table.weight.detach().clone()
print(f"valori predefiniti di course_lib.train: warmup_iters={DEFAULTS.warmup_iters}, "
      f"min_lr={DEFAULTS.min_lr}, grad_clip={DEFAULTS.grad_clip}")

# %% [markdown] id=cell-060 en=ab12225e
# Poi il ciclo della soluzione, due volte a partire dagli stessi pesi non addestrati: una
# volta con l'AdamW predefinito di PyTorch, una con `fused=True`, la variante che usa
# `course_lib.train`.

# %% id=cell-061 en=2fe9ba18
for fused in (None, True):
    mine = BigramLanguageModel(vocab_size)
    mine.load_state_dict(start_state)
    losses, estimates = solution_train(mine, train_data, val_data, fused=fused)
    w_mine, w_lib = mine.token_embedding_table.weight, model.token_embedding_table.weight
    same = torch.equal(w_mine, w_lib) and losses == history.train_loss
    # la grandezza di una differenza di arrotondamento in float32 dipende dai kernel della CPU,
    # quindi stampiamo un limite
    largest = max(float((w_mine - w_lib).detach().abs().max()),
                  max(abs(a - b) for a, b in zip(losses, history.train_loss)))
    print(f"AdamW({'fused=True' if fused else 'default'}): {len(losses):,} passi; "
          f"pesi e loss dei passi entro 1e-5 da course_lib.train: {largest < 1e-5}; "
          f"identici: {same}")

# %% [markdown] id=cell-062 en=327532d5
# Con `fused=True` le due esecuzioni sono identiche, bit per bit: gli stessi batch, gli
# stessi passi, gli stessi pesi. Con l'AdamW predefinito differiscono solo nelle ultime
# cifre (di meno di 1e-5, come stampato sopra; la grandezza esatta dipende dalla CPU).
# Entrambe calcolano la stessa formula di aggiornamento; la versione fused fa i conti di un
# intero tensore in un solo kernel, in un altro ordine, e il float32 arrotonda ogni ordine
# in modo un po' diverso. Queste differenze nelle ultime cifre non crescono fino a
# pesare davvero: è lo stesso addestramento.
#
# ## La curva della loss

# %% id=cell-063 en=72a15cd5
trained_val = full_loss(model.token_embedding_table.weight, val_data)
print(f"dopo {history.steps[-1]} passi: train stimata {history.final()['train']:.4f}, "
      f"val {history.final()['val']:.4f}")
fig = plot_bigram_loss_curves(history, uniform_loss, val_count_loss)

# %% [markdown] id=cell-064 en=70675c56
# La loss scende in fretta e si appiattisce vicino alla loss di validazione del modello dei
# conteggi (la linea tratteggiata). Sul testo di addestramento c'è un pavimento: i conteggi
# senza smoothing danno la loss più bassa che possa raggiungere un modello che vede solo il
# carattere attuale (la dimostrazione: minimizzando la media di $-\ln p$ sulle coppie che
# seguono il carattere $i$ si ottengono esattamente le frequenze osservate). La discesa del
# gradiente può solo avvicinarsi a quel valore:

# %% id=cell-065 en=e97a55aa
best_train = counting_model_loss(bigram_probs(counts, smoothing=0.0), train_data)
# ogni coppia (i, j) aggiunge -log p(j | i), counts[i, j] volte: una loss esatta ed economica su tutte le coppie (circa 1,4 milioni)
log_p = F.log_softmax(model.token_embedding_table.weight.detach(), dim=1)   # (V, V)
trained_train = float(-(counts * log_p).sum() / counts.sum())
print(f"la loss di train più bassa possibile: {best_train:.4f}; modello addestrato su tutto il testo di train: "
      f"{trained_train:.4f}")
own = val_counts.double() / val_counts.sum(dim=1, keepdim=True).clamp_min(1)   # i conteggi del testo di val
occurs = val_counts > 0
best_val = float(-(val_counts[occurs] * own[occurs].log()).sum() / val_counts.sum())
print(f"sul testo di val: modello addestrato {trained_val:.4f}, modello dei conteggi {val_count_loss:.4f}; "
      f"solo i conteggi del testo di val stesso arriverebbero a {best_val:.4f}")
assert best_train <= trained_train and abs(trained_val - val_count_loss) < 0.01

# %% [markdown] id=cell-066 en=60f65e87
# Sul testo di validazione non c'è un pavimento del genere per i nostri due modelli: il
# miglior modello bigramma del testo di val sono i suoi stessi conteggi, che nessuno dei due
# modelli ha visto. Il modello dei conteggi (smoothing 1) è una buona ipotesi, quindi il
# modello addestrato può finire un po' sopra o un po' sotto; qui finisce entro 0,01 da lui
# (come stampato sopra).

# %% [markdown] id=cell-067 en=ead8c8f9
# ## Il testo del modello addestrato
#
# Il modello addestrato scrive con `generate`, partendo dallo stesso a capo e con lo stesso
# seed del campione del modello dei conteggi visto sopra:

# %% id=cell-068 en=fd3d19fe
out = model.generate(start, max_new_tokens=250, generator=torch.Generator().manual_seed(1337))
print(tokenizer.decode(out[0]))
same = sum(a == b for a, b in zip(out[0].tolist(), sample))
print(f"lo stesso carattere in {same} delle {len(sample)} posizioni del campione del modello dei conteggi")

# %% [markdown] id=cell-069 en=87daf077
# I due campioni cominciano quasi lettera per lettera allo stesso modo, e coincidono nella
# maggior parte delle posizioni (il numero è stampato sopra): i due modelli danno quasi le
# stesse probabilità, quindi gli stessi numeri casuali scelgono quasi gli stessi caratteri.
# Dove una scelta differisce, i testi si separano, e spesso un a capo li rimette insieme.

# %% [markdown] id=cell-070 en=b0446ad7
# ## I due modelli a confronto
#
# La tabella addestrata, dopo la softmax, dovrebbe essere vicina alle probabilità dei
# conteggi. Riga per riga, la distanza di variazione totale (metà della somma delle
# differenze assolute; 0 = uguali, 1 = nessuna sovrapposizione) misura quanto:

# %% id=cell-071 en=9fe9f98a
model_probs = F.softmax(model.token_embedding_table.weight.detach(), dim=1)   # (V, V)
tv = 0.5 * (model_probs - probs).abs().sum(dim=1)                             # (V,)
freq = counts.sum(dim=1)
common = torch.argsort(freq, descending=True)[:10]
print(f"pesata con la frequenza di ogni carattere: {float((tv * freq).sum() / freq.sum()):.3f}")
print("i dieci caratteri più frequenti:", " ".join(f"{chars[i]!r} {tv[i]:.3f}" for i in common.tolist()))
print("i tre più rari:", " ".join(f"{chars[i]!r} {tv[i]:.3f} ({int(freq[i])}x)"
                               for i in torch.argsort(freq)[:3].tolist()))

# %% [markdown] id=cell-072 en=12056f98
# Per i caratteri frequenti i due modelli sono molto vicini; per i più rari no. Lì sono
# incerti entrambi: nel modello dei conteggi i pochi conteggi pesano meno dello smoothing,
# e il modello addestrato ha incontrato quei caratteri in pochissimi dei suoi batch. Contali
# estraendo di nuovo i batch di addestramento con lo stesso seed, e guarda quanto si è
# spostata ogni riga della tabella dal suo punto di partenza casuale:

# %% id=cell-073 en=3ee5dfd4
g = torch.Generator().manual_seed(1337)                   # i batch che ha estratto train()
seen = torch.zeros(vocab_size, dtype=torch.long)
for _ in range(3000):
    xb_seen, _ = get_batch(train_data, 32, 8, generator=g)
    seen += torch.bincount(xb_seen.flatten(), minlength=vocab_size)
moved = (model.token_embedding_table.weight.detach() - init_table).norm(dim=1)   # (V,)
for name, rows in (("più comuni", common[:3].tolist()),
                   ("più rari", torch.argsort(freq)[:3].tolist())):
    print(f"{name:>11}: " + "   ".join(f"{chars[i]!r} visto {int(seen[i]):,} volte, riga spostata di "
                                      f"{moved[i]:.2f}" for i in rows))
#
# Quanto smoothing? Troppo poco lascia quasi impossibili le coppie mai viste, troppo
# appiattisce ogni riga verso l'uniforme. La loss di val del modello dei conteggi per
# qualche valore:

# %% id=cell-074 en=cc53fdac
for s in [0.0, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0]:
    print(f"smoothing {s:>6g}: loss di val {counting_model_loss(bigram_probs(counts, s), val_data):.4f}")
rare_row = bigram_probs(counts, 1000.0)[tokenizer.stoi["("]] * vocab_size   # 1 = uniforme
print(f"con smoothing 1000 la riga di '(' va da {rare_row.min():.4f} a {rare_row.max():.4f} "
      f"volte la probabilità uniforme 1/{vocab_size}")

# %% [markdown] id=cell-075 en=3a74a5b5
# Scegli un carattere e confronta la sua distribuzione del carattere successivo nei due
# modelli. Poi sposta lo smoothing e guarda le righe: a 0 le coppie mai viste ricevono
# probabilità 0 (e la loss di val è infinita), a 1 la loss è la più bassa fra questi valori,
# a 1000 le righe dei caratteri rari sono quasi uniformi.

# %% [markdown] id=cell-077 en=b9e3947e
# ## Riepilogo
#
# - Contare i bigrammi dà una matrice (V, V); normalizzando ogni riga (con lo smoothing) si
#   ottiene $P(\text{successivo} \mid \text{attuale})$, e campionando dalle righe si scrive
#   del testo.
# - `BigramLanguageModel` conserva una riga di logit del token successivo per ogni token in
#   un `nn.Embedding(vocab_size, vocab_size)`.
# - `forward` restituisce i logit `(B, T, C)` e la cross-entropy su tutte le B·T posizioni,
#   calcolata su logit `(B·T, C)` e targets `(B·T,)`; `generate` campiona dall'ultima
#   posizione e aggiunge in fondo, un token alla volta.
# - Tirare a indovinare in modo uniforme dà $\ln 67 = 4{,}2047$; la tabella predefinita
#   N(0, 1) parte più in alto.
# - Un passo di addestramento è batch, loss, `zero_grad`, `backward`, `step`; una stima
#   della loss fa la media su molti batch. Il tuo ciclo addestra esattamente come
#   `course_lib.train` (bit per bit con l'AdamW fused).
# - Sul testo di addestramento nessun modello bigramma scende sotto i conteggi senza
#   smoothing, e il modello addestrato finisce poco sopra; sul testo di validazione finisce
#   vicino al modello dei conteggi.
#
# **Prossima lezione:** [lezione 03: la softmax](03_softmax.ipynb) guarda da vicino come i
# logit diventano probabilità.
