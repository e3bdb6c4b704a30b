# Il testo italiano di notebooks/src/00_text_to_tokens.py (formato: scripts/build_notebooks.py;
# termini: docs/it/glossario.md).

# %% [markdown] id=cell-000 en=c1dfa38f
# # Lezione 00: dal testo ai token
#
# Un modello linguistico non legge lettere, legge numeri. In questa lezione trasformi il
# testo di Shakespeare in numeri e di nuovo in testo, e lo tagli negli esempi di
# addestramento che useranno tutte le lezioni successive.
#
# **Cosa imparerai**
# - che cos'è il corpus e quali caratteri contiene;
# - come un tokenizer a caratteri associa a ogni carattere un ID intero, e viceversa;
# - perché teniamo da parte il 10% del testo per la validazione;
# - come un blocco di testo contiene `block_size` esempi di addestramento (contesto → target);
# - che cos'è un batch casuale di forma `(B, T)`.
#
# **Prerequisiti:** solo Python. Questa è la prima lezione.

# %% [markdown] id=cell-001 en=dff9735f
# ## Preparazione
#
# Per prima cosa controlla che questo computer abbia tutto ciò che serve al corso. Ogni riga
# dovrebbe mostrare ✅. Se una mostra ❌, ti dice anche che cosa fare.

# %% id=cell-002 en=c9b22a89 setup
from course_lib import set_language

set_language("it")                       # course_lib ti parlerà in italiano

import re
from collections import Counter

import torch

from course_lib import CharTokenizer, get_batch, load_corpus
from course_lib.lessons.checks import check_context_target_pairs, check_encode_decode
from course_lib.lessons.env import report_environment
from course_lib.lessons.plots import plot_char_frequencies
from course_lib.lessons.widgets import context_target_explorer

torch.manual_seed(1337)
report_environment(show_versions=False)

# %% [markdown] id=cell-003 en=87075d35
# ## Il corpus
#
# Il corso si addestra su dodici opere teatrali di Shakespeare, che trovi in
# `data/shakespeare.txt` (il file `data/README.md` spiega da dove vengono e come sono state
# ripulite). `load_corpus()` legge il testo, costruisce il tokenizer e divide i dati.

# %% id=cell-004 en=0b9a47ef
corpus = load_corpus()
text = corpus.text
print(f"{len(text):,} caratteri, {len(text.split()):,} parole, {len(text.splitlines()):,} righe")
print(text[:300])

# %% [markdown] id=cell-005 en=97c55e22
# Ogni opera comincia con il titolo in maiuscolo, una riga vuota e poi il primo atto o il
# prologo. Cercando queste righe otteniamo l'elenco delle opere:

# %% id=cell-006 en=20db29f8
titles = re.findall(r"(?:^|\n\n)([A-Z][A-Z ,;'.]+)\n\n(?:ACT I|PROLOGUE|THE PROLOGUE)", text)
print(f"{len(titles)} opere:")
for number, title in enumerate(titles, start=1):
    print(f"{number:>3}. {title}")

# %% [markdown] id=cell-007 en=fb56dfde
# ## Il vocabolario
#
# Il **vocabolario** è l'insieme dei caratteri distinti del testo. Ordinandolo, ogni carattere
# riceve una posizione fissa: quella posizione è il suo **ID del token**.

# %% id=cell-008 en=6193f06e
chars = sorted(set(text))
vocab_size = len(chars)
print(f"vocab_size = {vocab_size}")
print(repr("".join(chars)))

# %% [markdown] id=cell-010 en=146fca11
# Le differenze sono enormi: lo spazio compare centinaia di migliaia di volte, alcuni
# caratteri solo poche volte. Un carattere raro il modello lo vede molto meno spesso, quindi
# ha poco da cui imparare. La [lezione 02](02_bigram.ipynb#I-due-modelli-a-confronto)
# misura l'effetto: dopo l'addestramento, le previsioni del modello per i caratteri più rari
# sono quelle più lontane dai conteggi.

# %% id=cell-011 en=58d4f59b
counts = Counter(text)
print(f"spazio: {counts[' ']:,} volte, 'e': {counts['e']:,} volte")
print("i cinque più rari:", ", ".join(f"{c!r} {counts[c]}" for c in sorted(chars, key=counts.get)[:5]))

# %% [markdown] id=cell-012 en=af01bc1d
#
# ## Codificare e decodificare
#
# Tutto il lavoro lo fanno due dizionari: `stoi` (da stringa a intero, *string to integer*)
# e `itos` (da intero a stringa).

# %% id=cell-013 en=16ef4ce8
stoi = {ch: i for i, ch in enumerate(chars)}
itos = {i: ch for i, ch in enumerate(chars)}
print("stoi['a'] =", stoi["a"], "   itos[stoi['a']] =", repr(itos[stoi["a"]]))
print("gli ID vanno da", min(itos), "a", max(itos), "- uno per carattere:",
      " ".join(f"{itos[i]!r}:{i}" for i in (0, 1, 13, 39, 41, 66)))

# %% [markdown] id=cell-014 en=ec9ff4b0
# ### Esercizio 1: codificare e decodificare
#
# Scrivi `my_encode(s)`, che restituisce la lista degli ID dei caratteri di `s`, e
# `my_decode(ids)`, che da una lista di ID ricostruisce la stringa. Usa `stoi` e `itos`.
# Poi esegui la cella: la verifica ti dice se la risposta è giusta e, se non lo è, che cosa
# non va.

# %% id=cell-015 en=0281faab
def my_encode(s):
    # TODO: restituisci una lista con l'ID di ogni carattere di s
    raise NotImplementedError


def my_decode(ids):
    # TODO: restituisci la stringa fatta dai caratteri con questi ID
    raise NotImplementedError


check_encode_decode(my_encode, my_decode, corpus.tokenizer)

# %% [markdown] id=cell-016 en=e18b6432
# Dopo ogni esercizio trovi una cella chiusa come la prossima: contiene la soluzione del
# corso e la stessa verifica, che questa volta passa. Aprila solo dopo averci provato. La
# cella definisce `solution_encode` e `solution_decode`, mai `my_encode` o `my_decode`:
# così, se esegui tutte le celle del notebook, la tua risposta non viene sostituita. Le celle
# successive usano le funzioni del corso, non le tue.

# %% [solution] id=cell-017 en=48d95daa
# La soluzione del corso. I suoi nomi cominciano con solution_, così il tuo my_encode e il
# tuo my_decode restano come li hai scritti.
def solution_encode(s):
    return [stoi[c] for c in s]


def solution_decode(ids):
    return "".join(itos[i] for i in ids)


check_encode_decode(solution_encode, solution_decode, corpus.tokenizer)

# %% [markdown] id=cell-018 en=b5ab9fc4
# `course_lib.CharTokenizer` fa la stessa cosa. Codificare e poi decodificare restituisce il
# testo identico: l'andata e ritorno non perde nulla, e qui lo verifichiamo sull'intero
# corpus.

# %% id=cell-019 en=e0fbe447
tokenizer = CharTokenizer.from_text(text)
ids = tokenizer.encode("To be, or not to be")
print(ids)
print(repr(tokenizer.decode(ids)))
assert tokenizer.decode(tokenizer.encode(text)) == text
assert tokenizer.encode("hello") == solution_encode("hello")
print(f"andata e ritorno esatti su tutti i {len(text):,} caratteri")

# %% [markdown] id=cell-020 en=d783f7e7
# Un carattere che non sta nel vocabolario non ha un ID. Il tokenizer ti dice quale carattere
# e in che punto, invece di fallire più tardi da qualche parte dentro il modello:

# %% [markdown] id=cell-022 en=bf03f9f0
# ## Addestramento e validazione
#
# Codifichiamo tutto il testo una volta sola, come un unico lungo tensore di ID. Il primo
# 90% serve all'addestramento; l'ultimo 10% resta da parte. Se anche la loss su questa parte
# di **validazione** scende, il modello ha imparato qualcosa di generale, e non si è limitato
# a memorizzare questo testo.

# %% id=cell-023 en=f58ca9b4
data = torch.tensor(tokenizer.encode(text), dtype=torch.long)
n = int(0.9 * len(data))
train_data, val_data = data[:n], data[n:]
print(data.shape, data.dtype)
print(f"train: {len(train_data):,} token ({len(train_data) / len(data):.0%})   "
      f"val: {len(val_data):,} token ({len(val_data) / len(data):.0%})")
print("val comincia con:", repr(tokenizer.decode(val_data[:60])))
assert torch.equal(train_data, corpus.train_data) and torch.equal(val_data, corpus.val_data)

# %% [markdown] id=cell-024 en=56568a1e
# ## Un blocco contiene molti esempi
#
# Il modello non legge mai tutto il testo in una volta. Legge spezzoni di `block_size + 1`
# token. Uno spezzone contiene `block_size` esempi: per ogni posizione `t`, il contesto sono i
# token fino a `t` compreso, e il target è il token che viene subito dopo.

# %% id=cell-025 en=8f959215
block_size = 8
chunk = train_data[: block_size + 1]
x, y = chunk[:block_size], chunk[1:]
for t in range(block_size):
    print(f"contesto {str(x[: t + 1].tolist()):<32} -> target {y[t].item():>2}   "
          f"{tokenizer.decode(x[: t + 1])!r:>11} -> {tokenizer.decode(y[t:t + 1])!r}")

# %% [markdown] id=cell-026 en=83381ab5
# **Prova tu.** `start` sceglie dove comincia lo spezzone nel testo, `block_size` quanto è
# lungo.
#
# - Metti `block_size` a 1. Lo spezzone ha 2 token e contiene un solo esempio: un carattere
#   e quello che lo segue. È tutto ciò che vedrà mai il modello bigramma della lezione 02.
# - Metti `block_size` a 16. Conta gli esempi: sono sempre `block_size`, e l'ultimo contesto
#   è lungo `block_size` token.
# - Sposta `start` di un passo a destra. I vecchi target (tutti tranne il primo) risalgono di
#   una riga, ciascuno con un contesto che ha perso il suo primo token, e in fondo all'elenco
#   compare un esempio nuovo.

# %% [markdown] id=cell-028 en=39b75c1a
# ### Esercizio 2: gli esempi di uno spezzone
#
# Scrivi `my_make_pairs(chunk)`: data una lista di `block_size + 1` ID di token, restituisci
# la lista delle coppie `(context, target)`, dove ogni contesto è una lista di ID e ogni
# target un solo ID.

# %% id=cell-029 en=519814ec
def my_make_pairs(chunk):
    # TODO: una coppia (context, target) per ogni posizione t = 0 .. len(chunk) - 2
    raise NotImplementedError


check_context_target_pairs(my_make_pairs)

# %% [markdown] id=cell-031 en=babdd84e
# ## Batch casuali
#
# L'addestramento usa molti spezzoni alla volta, impilati come righe di un **batch**.
# `get_batch` sceglie `B` punti di partenza a caso e restituisce `x` e `y` di forma `(B, T)`,
# dove `T` è `block_size`. `y` è `x` spostato di una posizione. Un generatore con un seed
# fisso rende il batch identico a ogni esecuzione del notebook (l'ultima riga lo verifica con
# un secondo generatore).

# %% id=cell-032 en=decac340
g = torch.Generator().manual_seed(1337)
xb, yb = get_batch(train_data, batch_size=4, block_size=8, generator=g)
print("x:", tuple(xb.shape))
print(xb)
print("y:", tuple(yb.shape))
print(yb)
assert torch.equal(xb[:, 1:], yb[:, :-1])
print("le righe di x come testo:", [tokenizer.decode(row) for row in xb])
print(f"{xb.shape[0]} righe × {xb.shape[1]} posizioni = {xb.numel()} esempi (contesto -> target)")
again = get_batch(train_data, batch_size=4, block_size=8, generator=torch.Generator().manual_seed(1337))
assert torch.equal(again[0], xb) and torch.equal(again[1], yb)     # stesso seed, stesso batch

# %% [markdown] id=cell-033 en=c9f84e61
# Ogni posizione di ogni riga è un esempio, quindi questo batch contiene 32 esempi, elaborati
# tutti insieme.
#
# ## Riepilogo
#
# - Il corpus usa 67 caratteri distinti; ognuno riceve un ID, da 0 a 66, in ordine.
# - `encode` e `decode` sono due ricerche in un dizionario, e l'una annulla l'altra.
# - Il 90% dei token addestra il modello; l'ultimo 10% misura quanto bene generalizza.
# - Uno spezzone di `block_size + 1` token contiene `block_size` esempi (contesto → target).
# - `get_batch` impila spezzoni casuali in `x` e `y` di forma `(B, T)`.
#
# **Prossima lezione:** la [lezione 01: gli embedding](01_embeddings.ipynb) trasforma ogni
# ID in un vettore.
