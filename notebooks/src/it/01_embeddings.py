# Il testo italiano di notebooks/src/01_embeddings.py (formato: scripts/build_notebooks.py;
# termini: docs/it/glossario.md).

# %% [markdown] id=cell-000 en=b9899116
# # Lezione 01: gli embedding
#
# Un ID di token è solo un nome: l'ID della lettera `a` non dice nulla di `a`. Prima di poter
# fare calcoli con un token, il modello sostituisce l'ID con una lista di numeri che può
# imparare, un **vettore**. Questa lezione parla di questi vettori.
#
# **Cosa imparerai**
# - perché i vettori one-hot sono un cattivo input, e che cos'è un vettore denso;
# - che `nn.Embedding` è una tabella di consultazione con una riga per ogni ID di token, e
#   che leggere una riga equivale a moltiplicare un vettore one-hot per una matrice;
# - che cos'è `n_embd`, quanto costano più dimensioni e che cosa danno in cambio;
# - come confrontare vettori con la similarità del coseno e con la distanza;
# - che gli embedding partono casuali e prendono significato con l'addestramento: lo vedrai
#   nei vettori dei caratteri del modello del corso e in vettori di parole addestrati sul
#   corpus.
#
# **Prerequisiti:** [lezione 00: dal testo ai token](00_text_to_tokens.ipynb) (il
# vocabolario e gli ID dei token).

# %% [markdown] id=cell-001 en=0ecddf15
# ## Preparazione

# %% id=cell-002 en=4f73972b setup
from course_lib import set_language

set_language("it")                       # course_lib ti parlerà in italiano

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from course_lib import DATA_DIR, GPTLanguageModel, load_checkpoint, load_corpus
from course_lib.lessons.bigram import bigram_counts
from course_lib.lessons.checks import check_cosine_similarity, check_most_similar, check_one_hot_embed
from course_lib.lessons.embeddings import (WordVectors, cosine_similarity, euclidean_distance,
                                   load_word_vectors, nearest_rows, pca_project)
from course_lib.lessons.plots import (plot_char_embeddings_2d, plot_one_hot_vs_dense, plot_vectors_2d,
                              plot_word_map)
from course_lib.lessons.sweep import (compare_losses, doubling_table, load_sweep, loss_range,
                                      seed_losses, sweep_table)
from course_lib.lessons.widgets import embedding_size_explorer

torch.manual_seed(1337)
corpus = load_corpus()
tokenizer = corpus.tokenizer
vocab_size = tokenizer.vocab_size
print(f"vocab_size = {vocab_size}")

# %% [markdown] id=cell-003 en=532073ea
# ## Gli ID dei token sono nomi, non quantità
#
# Ogni ID è una posizione nel vocabolario ordinato, da 0 a `vocab_size - 1`. Quindi un ID non
# è mai negativo, e l'ordine degli ID è soltanto l'ordine dei caratteri in Unicode.

# %% id=cell-004 en=16af3cfe
ids = tokenizer.encode("abz")
print("ID di 'a', 'b', 'z':", ids)
print(f"l'ID più piccolo e il più grande in tutto il corpus: {int(corpus.data.min())} e "
      f"{int(corpus.data.max())}")
assert tokenizer.chars == sorted(tokenizer.chars, key=ord)     # in ordine di code point Unicode

# %% [markdown] id=cell-005 en=3b16db5b
# Gli ID di `a` e `b` differiscono di 1, quelli di `a` e `z` di 25, ma `z` non è "25 volte
# più diversa" da `a`. Se dessimo al modello gli ID grezzi come numeri, ci leggerebbe un
# ordine e una distanza che non significano nulla.
#
# ## I vettori one-hot
#
# Un primo rimedio: dare a ogni token un vettore di `vocab_size` numeri, tutti 0 tranne un 1
# nella posizione dell'ID del token. Questo vettore **one-hot** non porta con sé nessun
# ordine fasullo, ma due token diversi sono sempre alla stessa distanza, qualunque essi
# siano, e quasi tutti i numeri sono 0.

# %% id=cell-006 en=923afebc
word = "hello"
word_ids = torch.tensor(tokenizer.encode(word))
one_hot = F.one_hot(word_ids, num_classes=vocab_size).float()   # (T, V)
print("one_hot:", tuple(one_hot.shape), f"- {int(one_hot.sum())} uni su {one_hot.numel()} numeri")
h, e, l = one_hot[0], one_hot[1], one_hot[2]
print(f"distanza h-e = {euclidean_distance(h, e):.4f}, h-l = {euclidean_distance(h, l):.4f}, "
      f"sqrt(2) = {math.sqrt(2):.4f}")
every = torch.cdist(torch.eye(vocab_size), torch.eye(vocab_size))   # tutti i vettori one-hot, tutte le coppie
apart = every[~torch.eye(vocab_size, dtype=torch.bool)]
print(f"su tutte le {apart.numel():,} coppie di token diversi: distanze da {apart.min():.4f} "
      f"a {apart.max():.4f}")

# %% [markdown] id=cell-007 en=e9a582d1
# Un vettore **denso** funziona meglio: una breve lista di numeri (qui 8), tutti usati, liberi
# di assumere qualunque valore. L'addestramento sposta questi numeri in modo che token usati
# in modi simili abbiano vettori simili. La lunghezza di questo vettore è `n_embd`.

# %% id=cell-008 en=a7283011
n_embd = 8
embedding = nn.Embedding(vocab_size, n_embd)
dense = embedding(word_ids)                                      # (T, n_embd)
print("dense:", tuple(dense.shape))
fig = plot_one_hot_vs_dense(one_hot, dense, list(word))

# %% [markdown] id=cell-009 en=dab41f4f
# ## `nn.Embedding` è una tabella di consultazione
#
# `nn.Embedding(vocab_size, n_embd)` contiene una sola matrice, `weight`, con una riga per
# ogni ID di token e `n_embd` colonne. Se la chiami con degli ID, restituisce le righe di
# quegli ID: non si calcola nulla, le righe vengono semplicemente copiate.

# %% id=cell-010 en=fb67f3a6
print("weight:", tuple(embedding.weight.shape), "= (vocab_size, n_embd)")
print(f"valori iniziali: media {embedding.weight.mean():+.3f}, deviazione standard {embedding.weight.std():.3f} "
      f"(nn.Embedding li estrae da una distribuzione normale N(0, 1))")
input_ids = torch.tensor([2, 3, 5, 1])
vectors = embedding(input_ids)                                   # (4, n_embd)
print("vectors:", tuple(vectors.shape))
assert torch.equal(vectors[1], embedding.weight[3])              # l'ID 3 sta in posizione 1
assert torch.equal(vectors, embedding.weight[input_ids])         # tutte le righe insieme
print("riga dell'ID 3:", vectors[1].detach().numpy().round(3))

# %% [markdown] id=cell-011 en=53603a32
# Lo stesso vale per un batch di forma `(B, T)`: il risultato ha forma `(B, T, n_embd)`, un
# vettore per ogni token.

# %% id=cell-012 en=8cd7399c
xb = corpus.train_data[:12].view(3, 4)                           # (B, T) = (3, 4)
print(tuple(xb.shape), "->", tuple(embedding(xb).shape))

# %% [markdown] id=cell-013 en=0146863f
# ## Leggere una riga è moltiplicare un vettore one-hot per la matrice
#
# Moltiplica una riga one-hot (1 × V) per `weight` (V × n_embd): ogni riga di `weight` viene
# moltiplicata per 0, tranne quella nella posizione dell'ID del token. Quindi il prodotto è
# esattamente quella riga (anche in float32: moltiplicare per 1 e sommare zeri non
# arrotonda nulla; qui sotto `torch.equal` confronta bit per bit):
#
# $$\text{onehot}(i)\, W = W_{i,:}$$
#
# Ecco perché un layer di embedding è un layer lineare senza bias che riceve vettori
# one-hot. Leggere la riga dà la stessa risposta senza le V × n_embd moltiplicazioni.

# %% id=cell-014 en=b1dc3392
via_matrix = one_hot @ embedding.weight                          # (T, V) @ (V, n_embd)
assert torch.equal(via_matrix, embedding(word_ids))
print(f"uguali: one_hot @ weight == embedding(ids) per {word!r}")
print(f"per ogni token: il prodotto fa {vocab_size * n_embd} moltiplicazioni, la lettura copia "
      f"{n_embd} numeri")

# %% [markdown] id=cell-015 en=51c54cb1
# ### Esercizio 1: leggere una riga con un prodotto di matrici
#
# Scrivi `my_one_hot_embed(ids, weight)`: trasforma il tensore 1-D `ids` in righe one-hot con
# `F.one_hot` e moltiplicale per `weight` (forma `(V, D)`), per ottenere la forma `(T, D)`.
# Il punto è il prodotto: leggere direttamente le righe (`weight[ids]`, `F.embedding`) dà gli
# stessi numeri, e la verifica lo fa notare e ti chiede il prodotto.

# %% id=cell-016 en=0f4096aa
def my_one_hot_embed(ids, weight):
    # TODO: righe one-hot lunghe weight.shape[0], come float, moltiplicate per weight
    raise NotImplementedError


check_one_hot_embed(my_one_hot_embed)

# %% [markdown] id=cell-018 en=24375e31
# ## `n_embd`: quanti numeri per ogni token
#
# La tabella ha `vocab_size × n_embd` parametri, e in float32 ognuno occupa 4 byte. Più
# dimensioni danno a ogni token più spazio per conservare ciò che il modello impara su di
# esso, e anche i layer che seguono l'embedding crescono con `n_embd`; meno dimensioni costano
# meno memoria e meno tempo. Il modello del corso usa `n_embd = 192`. Il più piccolo dei
# modelli GPT-2 ha un vocabolario di 50.257 token e `n_embd = 768`.

# %% id=cell-019 en=b3af13ad
for name, V, C in [("questa lezione", vocab_size, n_embd),
                   ("modello del corso", vocab_size, 192),
                   ("GPT-2 small", 50_257, 768)]:
    params = V * C
    print(f"{name:>20}: {V:>6,} × {C:>3} = {params:>10,} parametri = {4 * params:>11,} byte "
          f"in float32")
print(f"la tabella di GPT-2 small: {4 * 50_257 * 768 / 2**20:.1f} MiB")
assert 50_257 * 768 == 38_597_376

# %% [markdown] id=cell-020 en=d8759977
# Quindi la sola tabella dei token di GPT-2 small ha 38.597.376 pesi: circa **38,6
# milioni**, non 38,5 milioni.
#
# Che cosa dà un `n_embd` più grande? Il file `data/sweep_n_embd.json` contiene la risposta
# per il nostro corpus: lo stesso GPT a 4 layer, addestrato per lo stesso numero di passi con
# diversi valori di `n_embd`. Addestrare questi modelli richiede minuti, quindi uno script
# l'ha fatto una volta sola e il notebook si limita a leggerne i risultati; il comando per
# rifarlo è stampato qui sotto.

# %% id=cell-021 en=ed39c136
sweep = load_sweep()
results = sweep["results"]
print("per rifarlo:", sweep["command"], f"  ({sweep['training']['max_iters']:,} passi per esecuzione)")
print(sweep_table(sweep))

# %% [markdown] id=cell-022 en=fe4874aa
# Ogni dimensione è stata addestrata a partire da tre seed: il seed fissa i pesi casuali
# iniziali e quali batch ogni esecuzione usa per l'addestramento e per la misura. La tabella
# riporta la media sui seed, il più piccolo e il più grande. Ora i passi da una dimensione
# alla successiva: la variazione della media, la dispersione tra i seed (il più ampio dei due
# intervalli dal minimo al massimo) e se i due intervalli si sovrappongono. "apart"
# (separati) vuol dire che ogni seed del modello più largo ha chiuso più in basso di ogni
# seed di quello più stretto.

# %% id=cell-023 en=d7302d5b
print(doubling_table(sweep))
changes = [compare_losses(seed_losses(a), seed_losses(b))["change"]
           for a, b in zip(results, results[1:])]
print("ogni raddoppio ha abbassato la media:", all(c < 0 for c in changes))
print("ogni raddoppio ha aiutato meno del precedente:",
      all(abs(later) < abs(earlier) for earlier, later in zip(changes, changes[1:])))
print("parametri a ogni raddoppio:", ", ".join(f"x{b['params'] / a['params']:.1f}"
                                                for a, b in zip(results, results[1:])))
gaps = [loss_range(seed_losses(r))[0] - loss_range(seed_losses(r, "train"))[0] for r in results]
print("val - train (medie):", ", ".join(f"{r['n_embd']}: {g:+.3f}" for r, g in zip(results, gaps)))

# %% id=cell-024 en=024d63f6
steps = [compare_losses(seed_losses(a), seed_losses(b)) for a, b in zip(results, results[1:])]
print("primi tre raddoppi: variazione / dispersione tra i seed =",
      ", ".join(f"{abs(c['change']) / c['spread']:.1f}" for c in steps[:3]))
print(f"ultimo raddoppio: variazione {steps[-1]['change']:+.4f}, dispersione tra i seed {steps[-1]['spread']:.4f}")
assert all(c < 0 for c in changes) and all(abs(b) < abs(a) for a, b in zip(changes, changes[1:]))
assert all(abs(c["change"]) > 3 * c["spread"] for c in steps[:3])
assert abs(steps[-1]["change"]) < steps[-1]["spread"]
assert all(b > a for a, b in zip(gaps, gaps[1:]))          # il divario val - train cresce

# %% [markdown] id=cell-025 en=96b7457a
# Ogni raddoppio di `n_embd` ha abbassato la loss media di validazione, e ognuno l'ha
# abbassata meno del precedente, mentre l'intero modello cresceva ogni volta tra 3,5 e 4
# volte (la maggior parte dei suoi pesi sta in matrici `n_embd × n_embd`, che crescono con il
# quadrato di `n_embd`). I primi tre raddoppi hanno spostato la media di più di tre volte la
# dispersione tra i seed: guadagni molto più grandi del rumore. L'ultimo, da 128 a 256, l'ha
# spostata di meno della dispersione tra i seed (la cella sopra controlla entrambe le cose):
# nel migliore dei casi un piccolo guadagno, per quattro volte i parametri e più tempo a ogni
# passo. La lezione 08 guarda questo rumore più da vicino. Su un corpus piccolo, poi, un
# modello più grande si adatta al testo di addestramento meglio che a un testo nuovo: il
# divario tra la loss di validazione e quella di addestramento cresce.
#
# **Prova tu.** Sposta lo slider. A sinistra, la tabella dei token mantiene le sue 67 righe e
# si allarga; le righe stampate danno la sua dimensione in parametri e in byte, e le loss
# finali dell'esecuzione con seed 1337. A destra, il cerchio segna la dimensione scelta sulla
# curva della loss. Trova la dimensione oltre la quale la curva è quasi piatta, e confronta
# quanto costa lì la tabella con quanto costa a 16.

# %% [markdown] id=cell-027 en=9dbaece7
# ## Confrontare vettori: similarità del coseno e distanza
#
# Due modi comuni per dire quanto sono vicini due vettori $a$ e $b$:
#
# - la **distanza euclidea** $\lVert a - b \rVert$: quanto sono lontani i due punti;
# - la **similarità del coseno** $\cos\theta = \dfrac{a \cdot b}{\lVert a \rVert\,\lVert b \rVert}$:
#   conta solo l'angolo. Vale 1 per la stessa direzione, 0 per un angolo retto, −1 per
#   direzioni opposte, e la lunghezza dei vettori non la cambia.
#
# Un esempio svolto con $a = (2, 1)$, $b = (4, 2)$, $c = (-1, 2)$:
# $a \cdot b = 2 \cdot 4 + 1 \cdot 2 = 10$ e $\lVert a \rVert \lVert b \rVert =
# \sqrt{5}\sqrt{20} = 10$, quindi $\cos = 1$ (stessa direzione), mentre
# $a \cdot c = -2 + 2 = 0$, quindi $\cos = 0$.

# %% id=cell-028 en=69c077cf
a, b, c = torch.tensor([2.0, 1.0]), torch.tensor([4.0, 2.0]), torch.tensor([-1.0, 2.0])
for name, (u, v) in {"a, b": (a, b), "a, c": (a, c), "b, c": (b, c)}.items():
    print(f"{name}: coseno {cosine_similarity(u, v):+.4f}   distanza {euclidean_distance(u, v):.4f}")
fig = plot_vectors_2d({"a": a, "b": b, "c": c}, title="a e b puntano nella stessa direzione; c forma un angolo retto")

# %% [markdown] id=cell-029 en=060e01eb
# `a` e `b` hanno similarità del coseno 1 ma distanza 2,2361: il coseno ignora la lunghezza,
# la distanza no. Di solito i vettori di embedding si confrontano con il coseno.
#
# ### Esercizio 2: la similarità del coseno
#
# Scrivi `my_cosine_similarity(a, b)` per due tensori 1-D. Restituisci un solo numero. (Il
# resto della lezione usa `cosine_similarity` della libreria, importata sopra.)

# %% id=cell-030 en=928fcb08
def my_cosine_similarity(a, b):
    # TODO: il prodotto scalare di a e b, diviso per il prodotto delle loro lunghezze
    raise NotImplementedError


check_cosine_similarity(my_cosine_similarity)

# %% [markdown] id=cell-032 en=8a51a8b0
# ## Gli embedding partono casuali
#
# Un modello nuovo riempie la sua tabella dei token di numeri casuali. Il modello del corso
# (lezione 08) ha `n_embd = 192`; qui sotto costruiamo di nuovo lo stesso modello, non
# addestrato. Vettori casuali in 192 dimensioni sono quasi perpendicolari tra loro
# (similarità del coseno vicina a 0), qualunque siano i token: il coseno di due direzioni
# casuali in $d$ dimensioni ha media 0 e una dispersione di circa $1/\sqrt{d}$. I coseni
# della tabella non addestrata qui sotto sono frutto del caso: piccoli, di segno qualsiasi, e
# diversi con un altro seed. Confrontali con quelli della tabella addestrata.

# %% id=cell-033 en=a5494228
ckpt_dir = DATA_DIR / "checkpoints" / "gpt"
model, ckpt_tokenizer = load_checkpoint(ckpt_dir)
assert ckpt_tokenizer == tokenizer
torch.manual_seed(0)
fresh = GPTLanguageModel(model.cfg)                    # stesse dimensioni, non addestrato
tables = {"casuale (non addestrata)": fresh.token_embedding_table.weight.detach(),
          "addestrata (del corso)": model.token_embedding_table.weight.detach()}
print("token_embedding_table:", tuple(tables["addestrata (del corso)"].shape))


def sim(table, c1, c2):
    return float(cosine_similarity(table[tokenizer.stoi[c1]], table[tokenizer.stoi[c2]]))


other_seed = torch.randn(vocab_size, model.cfg.n_embd, generator=torch.Generator().manual_seed(1))
for name, table in {**tables, "casuale, altro seed": other_seed}.items():
    print(f"{name:>25}: cos(a, A) = {sim(table, 'a', 'A'):+.3f}   cos(a, e) = "
          f"{sim(table, 'a', 'e'):+.3f}   cos(a, ;) = {sim(table, 'a', ';'):+.3f}")
unit = F.normalize(tables["casuale (non addestrata)"], dim=1)
off_diagonal = (unit @ unit.T)[~torch.eye(vocab_size, dtype=torch.bool)]
print(f"tabella casuale, tutte le coppie: coseno medio {off_diagonal.mean():+.3f}, dispersione (std) "
      f"{off_diagonal.std():.3f}; 1/sqrt(192) = {192 ** -0.5:.3f}")

# %% [markdown] id=cell-034 en=b3292c8e
# ## L'addestramento dà loro un significato: i caratteri del modello del corso
#
# Nessuno ha detto al modello del corso quali caratteri sono vocali, o che `a` e `A` sono la
# stessa lettera. Ha solo imparato a predire il carattere successivo. Eppure la sua tabella è
# cambiata. Per guardare vettori a 192 dimensioni li proiettiamo sulle due direzioni lungo le
# quali variano di più (**PCA**, l'analisi delle componenti principali; `pca_project` la
# calcola con la decomposizione ai valori singolari, `torch.linalg.svd`) e lì disegniamo ogni
# carattere.

# %% [markdown] id=cell-036 en=2db2f50e
# Nell'immagine addestrata la punteggiatura si raccoglie da una parte, le vocali minuscole e
# maiuscole stanno vicine, le consonanti maiuscole formano un gruppo a sé, e le lettere rare
# `q` e `j` (con `Q` e `J`) stanno lontane dal resto. Nell'immagine casuale non c'è nessuno
# schema. Due direzioni mostrano però solo una piccola parte di 192 dimensioni:

# %% id=cell-037 en=975eee66
for name, proj in projections.items():
    print(f"{name:>25}: l'immagine mostra il {proj.explained.sum():.0%} della varianza")

# %% [markdown] id=cell-038 en=b26ce74b
# Quindi controlliamo con i numeri, usando tutte le 192 dimensioni: la similarità del coseno
# media dentro gruppi di caratteri, e i vicini più prossimi di alcuni caratteri.

# %% id=cell-039 en=fa64eb7f
def ids(s):
    return [tokenizer.stoi[c] for c in s]


def group_mean(cos, a, b):
    """La media di cos[i, j] per i in a, j in b, escluse le coppie con i == j."""
    keep = torch.tensor(a)[:, None] != torch.tensor(b)[None, :]
    return cos[a][:, b][keep].mean()


lower, upper = ids("abcdefghijklmnopqrstuvwxyz"), ids("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
vowels, consonants = ids("aeiouAEIOU"), ids("bcdfghklmnprstvwBCDFGHKLMNPRSTVW")
punct, everything = ids("!,.:;?"), list(range(vocab_size))
for name, table in tables.items():
    unit = F.normalize(table, dim=1)                   # ogni riga ridotta a lunghezza 1
    cos = unit @ unit.T                                # (V, V): tutte le similarità del coseno insieme
    print(f"{name}:\n  lettera e sua maiuscola {cos[lower, upper].mean():+.3f}   vocale e vocale "
          f"{group_mean(cos, vowels, vowels):+.3f}   vocale e consonante "
          f"{group_mean(cos, vowels, consonants):+.3f}\n  punteggiatura e punteggiatura "
          f"{group_mean(cos, punct, punct):+.3f}   punteggiatura e lettera "
          f"{group_mean(cos, punct, lower + upper):+.3f}   due caratteri qualsiasi "
          f"{group_mean(cos, everything, everything):+.3f}")

# %% id=cell-040 en=ea53ae38
trained_table = tables["addestrata (del corso)"]
for c in ["a", "T", "q", ".", ","]:
    rows, sims = nearest_rows(trained_table, trained_table[tokenizer.stoi[c]], 3,
                              exclude=[tokenizer.stoi[c]])
    print(f"più vicini a {c!r}: " + ", ".join(f"{chars[i]!r} {s:.2f}" for i, s in zip(rows.tolist(), sims)))

# %% [markdown] id=cell-041 en=39e4f613
# Dopo l'addestramento una lettera è nettamente più vicina alla propria maiuscola che agli
# altri caratteri, e i segni di punteggiatura sono vicini tra loro; nella tabella casuale
# ogni media di gruppo è vicina a 0. Nessuno ha indicato questi gruppi al modello: li ha
# trovati perché questi caratteri si comportano in modo simile nel testo.
# Per esempio, confronta che cosa segue ogni carattere: le righe dei conteggi del carattere
# successivo (le costruisce la lezione 02) hanno una similarità del coseno alta per `.` e
# `?`, e per `T` e `t`, e bassa per `T` e `A`.

# %% id=cell-042 en=4c7d13ef
following = bigram_counts(corpus.train_data, vocab_size).float()   # riga i: che cosa segue i
for x, y in [(".", "?"), ("T", "t"), ("a", "A"), ("T", "A")]:
    sim = cosine_similarity(following[tokenizer.stoi[x]], following[tokenizer.stoi[y]])
    print(f"ciò che segue {x!r} e ciò che segue {y!r}: similarità del coseno {sim:.2f}")

# %% [markdown] id=cell-043 en=db88522a
# ## Vettori di parole addestrati sul corpus
#
# I caratteri hanno poco significato, quindi per il significato servono le parole. Lo script
# `scripts/train_word_vectors.py` addestra piccoli vettori di parole sullo stesso testo di
# Shakespeare con **word2vec** (skip-gram con negative sampling): il vettore di ogni parola
# viene addestrato a predire le parole che la circondano. Le parole che compaiono in
# compagnia simile finiscono con vettori simili. Lo script tiene le 4.000 parole più
# frequenti, con 64 dimensioni ciascuna.

# %% id=cell-044 en=f54be471
wv = load_word_vectors()
print(f"{len(wv):,} parole × {wv.dim} dimensioni, addestrate su {wv.info['corpus_words']:,} parole "
      f"di testo con {wv.info['epochs']} passate in {wv.info['seconds']:.0f} s")
print("per rifarlo:", wv.info["command"])
for w in ["father", "eye", "three", "night", "speak", "king"]:
    print(f"{w:>7}: " + ", ".join(f"{n} {s:.2f}" for n, s in wv.nearest(w, 6)))

# %% [markdown] id=cell-045 en=4bf15824
# Le parole della famiglia stanno con le parole della famiglia, i numeri con i numeri, le
# parti del corpo con le parti del corpo. Le stesse parole con vettori casuali hanno vicini
# casuali:

# %% [markdown] id=cell-047 en=491da1b9
# L'immagine PCA di cinque gruppi di parole: i gruppi formano degli ammassi, e al modello
# nessuno ha mai detto quali fossero i gruppi. Con tutte le 64 dimensioni, le parole dello
# stesso gruppo sono molto più vicine tra loro che alle parole degli altri gruppi (i numeri
# sotto l'immagine).

# %% id=cell-048 en=e30aeac2
groups = {"famiglia": ["father", "mother", "son", "daughter", "brother", "sister", "uncle", "wife", "husband"],
          "numeri": ["one", "two", "three", "four", "five", "six", "ten", "twenty", "hundred", "thousand"],
          "corpo": ["eye", "ear", "hand", "head", "heart", "tongue", "face", "lips", "arm"],
          "tempo": ["night", "day", "morning", "hour", "year", "morrow", "week"],
          "rango": ["king", "queen", "prince", "duke", "lord", "lady", "earl"]}
words = [w for ws in groups.values() for w in ws]
labels = [g for g, ws in groups.items() for _ in ws]
proj = pca_project(torch.stack([wv[w] for w in words]))
fig = plot_word_map(proj.points, words, labels, "Vettori di parole addestrati su Shakespeare (PCA in 2-D)")
unit_words = F.normalize(torch.stack([wv[w] for w in words]), dim=1)
cos_words = unit_words @ unit_words.T
same_group = torch.tensor([[a == b for b in labels] for a in labels]) & ~torch.eye(len(words), dtype=torch.bool)
other_group = torch.tensor([[a != b for b in labels] for a in labels])
print(f"similarità del coseno media: stesso gruppo {cos_words[same_group].mean():.3f}, "
      f"gruppi diversi {cos_words[other_group].mean():.3f}")

# %% [markdown] id=cell-049 en=3ff021c7
# ### Che cosa un corpus piccolo non mostra
#
# Il nostro corpus ha meno di 300.000 parole; i famosi risultati di word2vec venivano da
# miliardi di parole. Mettiamo quindi alla prova l'affermazione famosa, king − man + woman ≈
# queen, e vediamo in che posizione arriva `queen` tra tutte le 4.000 parole (posizione 1 =
# la più vicina; le tre parole di partenza sono escluse).

# %% id=cell-050 en=76caacd4
target = wv.analogy_vector("man", "king", "woman")
rank = wv.rank("queen", target, exclude=("man", "king", "woman"))
print(f"king - man + woman: queen è al posto {rank} su {len(wv):,}")
print("più vicine:", ", ".join(f"{w} {s:.2f}" for w, s in wv.analogy("man", "king", "woman", 5)))
print(f"senza l'aritmetica, queen è al posto {wv.rank('queen', wv['king'], exclude=('king',))} "
      f"tra le più vicine a king da solo")
print(f"con vettori casuali: queen è al posto "
      f"{random_wv.rank('queen', random_wv.analogy_vector('man', 'king', 'woman'), exclude=('man', 'king', 'woman'))}")

# %% [markdown] id=cell-051 en=7689c217
# Altre analogie "a sta a b come c sta a d", con la posizione della parola attesa `d`:

# %% id=cell-052 en=d2ec4dac
tests = [("man", "king", "woman", "queen"), ("he", "his", "she", "her"),
         ("man", "men", "woman", "women"), ("one", "two", "three", "four"),
         ("good", "better", "bad", "worse"), ("father", "son", "mother", "daughter"),
         ("lord", "lady", "king", "queen"), ("day", "night", "morning", "evening")]
count = dict(zip(wv.words, wv.counts))
for a_, b_, c_, d_ in tests:
    r = wv.rank(d_, wv.analogy_vector(a_, b_, c_), exclude=(a_, b_, c_))
    best = wv.analogy(a_, b_, c_, 1)[0][0]
    rarest = min(count[w] for w in (a_, b_, c_, d_))
    print(f"{a_:>6} : {b_:<6} = {c_:>7} : {d_:<9} posto {r:>4}   più vicina: {best:<9} "
          f"la più rara delle quattro parole: {rarest:>5} volte")

# %% [markdown] id=cell-053 en=38fca562
# Che cosa mostra, onestamente:
#
# - `queen` arriva tra le prime, ma `king` e `queen` erano già vicine senza nessuna
#   aritmetica, e i nomi dei drammi storici (`richard`, `elizabeth`) vengono prima.
#   L'aritmetica ha aiutato un po'; non ha "trovato" la regina da sola.
# - Alcune analogie funzionano (he : his = she : her, man : men = woman : women); altre
#   falliscono del tutto (father : son = mother : daughter). La frequenza delle parole, da
#   sola, non lo decide (guarda l'ultima colonna). Con così poco testo, una singola analogia
#   dimostra poco, in un senso o nell'altro.
# - I vicini riflettono spesso **chi compare insieme** in un'opera, non il significato:
#   `wv.nearest("hamlet")` elenca personaggi di *Amleto*. I vettori imparano la compagnia che
#   una parola frequenta, e in un corpus piccolo quella compagnia è spesso una sola scena.
# - Le parole sconosciute non sono affatto nella tabella: `wv["computer"]` solleva un errore
#   che nomina la parola.

# %% [markdown] id=cell-055 en=7f8bf4a1
# ### Esercizio 3: i vettori più vicini
#
# Scrivi `my_most_similar(query, vectors, k)`: restituisci gli indici delle `k` righe di
# `vectors` (forma `(N, D)`) con la similarità del coseno più alta con `query` (forma
# `(D,)`), dalla più simile alla meno simile.

# %% id=cell-056 en=6702c739
def my_most_similar(query, vectors, k):
    # TODO: similarità del coseno di ogni riga con query, poi le k più grandi, dalla più grande
    raise NotImplementedError


check_most_similar(my_most_similar)

# %% [solution] id=cell-057 en=ab286680
def solution_most_similar(query, vectors, k):
    sims = (vectors @ query) / (vectors.norm(dim=1) * query.norm())   # (N,)
    return torch.topk(sims, k).indices


check_most_similar(solution_most_similar)

# %% [markdown] id=cell-058 en=9047f4a2
# La soluzione trova gli stessi vicini di `wv.nearest` della libreria (che esclude la parola
# stessa). Quando la tua verifica passa, metti `my_most_similar` al suo posto ed esegui di
# nuovo la cella: dà la stessa lista.

# %% [markdown] id=cell-060 en=34cdd367
# ## Riepilogo
#
# - Un ID di token è un nome; i vettori one-hot evitano un ordine fasullo, ma sono lunghi,
#   sparsi e tutti alla stessa distanza l'uno dall'altro.
# - `nn.Embedding(vocab_size, n_embd)` è una tabella con una riga appresa per ogni token;
#   leggere una riga equivale a one-hot × weight.
# - La tabella ha `vocab_size × n_embd` parametri (38.597.376 per GPT-2 small); più
#   dimensioni costano memoria e tempo, e aiutano sempre meno.
# - La similarità del coseno confronta le direzioni; la distanza vede anche la lunghezza.
# - Gli embedding partono casuali. L'addestramento dà loro un significato: caratteri e
#   parole simili finiscono vicini, per quanto i dati lo permettono.
#
# **Prossima lezione:** la [lezione 02: il modello bigramma](02_bigram.ipynb) addestra la
# sua prima tabella di embedding, una che predice il carattere successivo.
