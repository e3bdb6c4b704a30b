# Il testo italiano di notebooks/src/11_your_own_gpt.py (formato: scripts/build_notebooks.py;
# termini: docs/it/glossario.md).

# %% [markdown] id=cell-000 en=18157905
# # Lezione 11: il tuo GPT
#
# Hai costruito tutte le parti di un GPT. In questa lezione decidi tu che cosa impara: un
# testo tuo, il codice Python che hai sul computer, Shakespeare, oppure un compito, la somma
# di due numeri. Lo addestri con un pulsante per fermarlo quando vuoi, lo fai scrivere, lo
# salvi in una cartella tua e ottieni i comandi per continuare da lì.
#
# **Cosa imparerai**
# - come trasformare un testo o un compito in dati di addestramento, e qual è il suo
#   vocabolario;
# - quanto costa un modello di ciascuna dimensione per quel testo: parametri, memoria e
#   tempo, misurati sulla tua macchina;
# - perché la loss del compito di somma smette di scendere a un livello che puoi calcolare, e
#   perché lì l'accuratezza sulle somme escluse dall'addestramento misura meglio;
# - come addestrare con una barra di avanzamento, la curva della loss in diretta e un
#   pulsante di stop che conserva il modello;
# - come salvare il modello in modo sicuro in una cartella tua, ricaricarlo e continuare
#   dalla riga di comando.
#
# **Prerequisiti:** [lezione 08: il GPT completo](08_full_gpt.ipynb) (addestramento,
# generazione, checkpoint) e [lezione 09: addestrare in grande](09_scaling_up.ipynb) (il
# comando di addestramento).

# %% [markdown] id=cell-001 en=0ecddf15
# ## Preparazione

# %% id=cell-002 en=999a4d56 setup
from course_lib import set_language

set_language("it")                       # course_lib ti parlerà in italiano

import json
import math
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from course_lib import DATA_DIR, get_batch, train_val_split
from course_lib.core.defaults import TRAIN_FRACTION
from course_lib.lessons.checks import check_addition_accuracy, check_addition_line
from course_lib.lessons.experiments import one_thread
from course_lib.lessons.own_gpt import (SIZES, addition_accuracy, addition_line, addition_pairs,
                                        addition_table_html, cli_commands, load_model,
                                        load_task, loss_levels, measure_seconds_per_step,
                                        save_model, size_costs, task_from_path, train_task,
                                        Task, val_estimate_spread)
from course_lib.lessons.own_gpt_panels import generation_panel, training_panel
from course_lib.lessons.plots import plot_addition_digits, plot_loss_curves, plot_loss_levels
from IPython.display import HTML, display

torch.manual_seed(1337)

# %% [markdown] id=cell-003 en=d1c6bd14
# ## Scegli un testo
#
# Un GPT impara qualunque testo gli dai. Il corso ne ha tre già pronti, così non si scarica
# niente:
#
# - **addition**: righe come `07+45=052`, generate dal corso. I due numeri hanno due cifre
#   (con uno zero davanti se serve) e il risultato ne ha tre. Con `reverse=True` il
#   risultato è scritto al contrario (`07+45=250`): prima le unità, poi le decine, poi le
#   centinaia. È l'ordine in cui fai la somma in colonna: il riporto passa dalle unità alle
#   decine. Si sente dire spesso che per un GPT questo ordine è più facile; in questa
#   lezione misuriamo tutti e due gli ordini.
# - **python**: i primi 1.000.000 di caratteri dei file `.py` che stanno al primo livello
#   della libreria standard sul tuo computer, in ordine di nome (senza le sottocartelle).
# - **shakespeare**: il corpus del corso, come nelle lezioni precedenti.
#
# Puoi anche dare il percorso di un tuo file di testo UTF-8, oppure caricarne uno nel
# pannello più sotto.
#
# Ecco le prime righe del testo delle somme:

# %% id=cell-004 en=d7fdef6d
addition = load_task("addition")      # risultati nell'ordine normale: reverse=False
print(addition)
print(addition.text[:50])
print("07 + 45 nell'ordine normale:", addition_line(7, 45, reverse=False),
      " al contrario:", addition_line(7, 45, reverse=True))

# %% [markdown] id=cell-005 en=21f25c39
# Alcune somme non compaiono mai nel testo di addestramento: sono **escluse** (tenute da
# parte, *held out*), e dopo l'addestramento le chiediamo al modello. Con ogni somma si
# esclude anche la sua speculare: se `07+45` è esclusa, lo è anche `45+07`, così il modello
# non può rispondere all'una ricordando l'altra. Una risposta giusta dimostra allora che il
# modello sa sommare, non che ricorda una riga. La scelta delle somme escluse usa un seed
# fisso, quindi è la stessa su ogni computer.

# %% id=cell-006 en=77203543
train_pairs, held_out = addition_pairs()
text_lines = addition.text.splitlines()
lines = set(text_lines)
print(f"{len(train_pairs):,} coppie si possono estrarre per l'addestramento, {len(held_out)} "
      f"sono escluse, per esempio {held_out[:4]}")
print(f"le {len(text_lines):,} righe del testo contengono {len(lines):,} somme distinte")
print("somme escluse presenti nel testo di addestramento:",
      sum(addition_line(a, b) in lines for a, b in held_out),
      "  le loro speculari b+a:", sum(addition_line(b, a) in lines for a, b in held_out))
n_val = int(0.9 * len(text_lines))
val_seen = sum(line in set(text_lines[:n_val]) for line in text_lines[n_val:])
print(f"l'ultimo 10% delle righe (la parte 'val' dell'addestramento) ripete {val_seen:,} "
      f"righe su {len(text_lines) - n_val:,} del primo 90%")

# %% [markdown] id=cell-007 en=69a99495
# Gli altri due testi già pronti. Il testo Python viene dal Python che esegue questo
# notebook, quindi con un'altra versione di Python il testo cambia (la dimensione e il
# vocabolario qui sotto sono quelli del tuo computer).

# %% id=cell-008 en=d0122ae8
# NBVAL_IGNORE_OUTPUT
tasks = {"addition": addition, "python": load_task("python"),
         "shakespeare": load_task("shakespeare")}
for name, task in tasks.items():
    print(f"{name:12} {len(task.text):>9,} caratteri, vocabolario {len(set(task.text)):>3}: "
          f"{task.source}")

# %% [markdown] id=cell-009 en=e0394537
# Un file tuo passa gli stessi controlli del corpus del corso. Un file che non va bene dà un
# errore che ti dice che cosa fare; per esempio un percorso che non esiste, o un file vuoto:

# %% [markdown] id=cell-011 en=01549430
# ## Le dimensioni e quanto costano
#
# Il corso ha quattro dimensioni. Per ciascuna costruiamo il modello per il vocabolario delle
# somme e ne contiamo i parametri. Durante l'addestramento, per ogni parametro si tengono
# anche il suo gradiente e le due medie mobili di AdamW: quattro numeri float32 da 4 byte,
# cioè 16 byte per parametro. A questi si aggiungono le attivazioni che il passaggio in
# avanti (forward) conserva per quello all'indietro (backward): crescono con
# batch_size × block_size, e per queste dimensioni occupano più memoria dei pesi e dello
# stato di AdamW messi insieme.

# %% id=cell-012 en=0cf7f8f7
vocab = len(set(addition.text))
costs = size_costs(vocab)
for r in costs:
    print(f"{r['size']:7} n_layer={r['n_layer']} n_embd={r['n_embd']:>3} block_size="
          f"{r['block_size']:>3} batch={r['batch_size']:>2}: {r['params']:>9,} parametri, "
          f"{r['train_bytes'] / 1e6:6.1f} MB per i pesi e lo stato di AdamW, "
          f"{r['max_iters']:>6,} passi")

# %% [markdown] id=cell-013 en=b651bf8e
# Le attivazioni conservate per il passaggio all'indietro, contate con un hook sul passaggio
# in avanti di un passo di addestramento (un tensore conservato due volte conta due volte,
# quindi è una stima per eccesso):

# %% id=cell-014 en=697b2629
from course_lib import GPTLanguageModel  # noqa: E402


def saved_activation_bytes(size):
    s = SIZES[size]
    torch.manual_seed(0)
    model = GPTLanguageModel(s.config(vocab))
    x = torch.randint(vocab, (s.batch_size, s.block_size))
    total = [0]

    def pack(t):
        total[0] += t.numel() * t.element_size()
        return t
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(x, x)
    return total[0]


for r in costs[:2]:
    act = saved_activation_bytes(r["size"])
    print(f"{r['size']:7} attivazioni conservate {act / 1e6:6.1f} MB contro {r['train_bytes'] / 1e6:4.1f} "
          f"MB per i pesi e lo stato di AdamW")
    assert act > r["train_bytes"]

# %% [markdown] id=cell-015 en=286abfed
# I tempi non li prendiamo da altre fonti: misuriamo un passo di addestramento di ogni
# dimensione su questo computer e lo moltiplichiamo per il numero di passi. Un passo di
# **large** richiede dei secondi, quindi qui non lo misuriamo, e non lo tiriamo nemmeno a
# indovinare: i tempi qui sotto non crescono come direbbe la regola parametri × token per
# passo (small costa molto meno di quanto quella regola prevede partendo da tiny), quindi
# una stima in proporzione ti porterebbe fuori strada. Misuralo dalla riga di comando con
# pochi passi. (Questi numeri cambiano da un'esecuzione all'altra e da un computer
# all'altro.)

# %% id=cell-016 en=7cc24434
# NBVAL_IGNORE_OUTPUT
per_step = {}
for r in costs:
    if r["size"] == "large":
        print(f"large   non misurato qui: {r['max_iters']:,} passi di alcuni secondi ciascuno")
        continue
    with one_thread():
        per_step[r["size"]], how = measure_seconds_per_step(addition, r["size"], steps=1), "misurato"
    print(f"{r['size']:7} {1000 * per_step[r['size']]:8.1f} ms per passo su un thread ({how}) -> "
          f"circa {per_step[r['size']] * r['max_iters'] / 60:6.1f} minuti per {r['max_iters']:,} passi")

# %% [markdown] id=cell-017 en=af4a2667
# La dimensione predefinita di questa lezione è **small**: si addestra in molto meno di un
# minuto. **medium** e **large** richiedono molto più tempo (guarda la stima qui sopra):
# lanciale dalla riga di comando (alla fine di questa lezione), non nel notebook.
#
# La stima qui sopra misura un passo solo; l'addestramento predefinito qui sotto stampa il
# tempo di tutti i suoi 1.500 passi, valutazioni comprese. Un passo solo è un campione
# piccolo su un computer carico, quindi le due cifre possono non coincidere: per small,
# fidati del tempo dell'addestramento.

# %% [markdown] id=cell-018 en=eb1e1694
# ## Perché la loss delle somme smette di scendere
#
# In una riga come `47+51=098` le quattro cifre della domanda sono casuali: nessun modello
# può prevederle. Ognuna è una di 10 cifre, quindi ognuna costa $\ln 10$ nat. Il `+`, l'`=`
# e l'a capo stanno sempre allo stesso posto, e il risultato segue dalla domanda. Quindi
# anche chi somma alla perfezione ha una loss di circa $4 \ln 10$ per riga di 10 caratteri:
# è il **limite inferiore**. Un modello che conosce il formato ma non sa sommare deve
# tirare a indovinare anche le cifre del risultato. Misuriamo l'entropia del carattere in
# ogni posizione della riga, dal testo stesso:

# %% id=cell-019 en=e245ad25
levels = loss_levels(addition.text)
print("entropia per posizione (nat):", [round(h, 3) for h in levels["per_place"]], "+ a capo 0")
print(f"cifre della domanda: {levels['question_nats']:.3f} nat per riga "
      f"(4 ln 10 = {4 * math.log(10):.3f})")
print(f"limite inferiore, chi somma alla perfezione: {levels['floor']:.3f} nat per carattere")
print(f"conosce il formato, non sa sommare:          {levels['format_only']:.3f} nat per carattere")
share = (levels["format_only"] - levels["floor"]) / levels["format_only"]
print(f"quanto può ancora togliere il saper sommare: il {100 * share:.0f}% della loss del solo formato")

# %% [markdown] id=cell-020 en=2ee59d31
# Tra i due livelli sta tutto quello che il modello può imparare sulla somma: la quota
# stampata qui sopra. La loss è una media su tutti i caratteri, e solo le cifre del
# risultato possono ancora migliorare, quindi la loss dice poco su quanto bene il modello
# sommi. L'**accuratezza** sulle somme escluse (tutte e tre le cifre giuste) mostra la
# capacità di sommare in sé.

# %% [markdown] id=cell-021 en=13aae8ad
# ## Addestra
#
# `train_task` usa `course_lib.train`, la stessa funzione del comando di addestramento. Ecco
# l'addestramento predefinito: la dimensione small, per un numero fisso di passi (non di
# secondi, così ogni esecuzione dà lo stesso modello), su un thread solo.

# %% id=cell-022 en=e2be300e
# NBVAL_IGNORE_OUTPUT
start = time.perf_counter()
with one_thread():
    own = train_task(addition, "small", eval_interval=100)     # i 1500 passi della dimensione
print(f"{own.history.steps[-1]} passi in {time.perf_counter() - start:.1f} s")

# %% [markdown] id=cell-023 en=8bde14e2
# Su un computer le loss sono le stesse a ogni esecuzione (i seed sono fissi), ma non su
# tutti i computer: un'altra CPU arrotonda le somme in modo un po' diverso, e in 1.500 passi
# la curva si sposta dove è ripida o ha dei picchi (fino a 0,08 tra i kernel AVX-512 e
# quelli AVX2; il grafico ne mostra la forma). Per questo la cella stampa la forma della
# curva, con la precisione che regge su tutte le CPU che abbiamo provato:

# %% id=cell-024 en=d727edcf
val = own.history.final()["val"]
print(f"loss di validazione finale: {val - levels['floor']:.1f} sopra il limite inferiore, "
      f"{levels['format_only'] - val:.1f} sotto il livello del solo formato")
by_step = dict(zip(own.history.eval_steps, own.history.eval_val))
fmt = levels["format_only"]
at_format = next(s for s, v in by_step.items() if v < fmt + 0.05)
adding = next(s for s, v in by_step.items() if v < fmt - 0.1)
print(f"a meno di 0.05 dal livello del solo formato entro il passo 300: {at_format <= 300}")
print(f"ancora a meno di 0.1 da quel livello al passo 400: {abs(by_step[400] - fmt) < 0.1}")
print(f"poi 0.1 sotto quel livello, entro il passo 800: {400 < adding <= 800}")
assert at_format <= 300 and abs(by_step[400] - fmt) < 0.1 and 400 < adding <= 800
print(f"loss di validazione finale in bit per carattere: {own.bits_per_char():.1f}")
spread = val_estimate_spread(own)    # 5 stime del modello finale, 5 gruppi di 10 batch
print(f"una stima di validazione (10 batch) si sposta di meno di {math.ceil(spread * 20) / 20:.2f} "
      f"per puro caso, a modello invariato")
fig = plot_loss_levels(own.history, levels["floor"], levels["format_only"])

# %% [markdown] id=cell-025 en=0f6c9967
# La loss scende in fretta fino al livello del solo formato: il modello impara dove vanno le
# cifre, il `+` e l'`=`. Resta vicino a quel livello per qualche centinaio di passi, poi
# riprende a scendere: il modello sta imparando a sommare. I passi esatti dipendono dalla
# CPU: sull'Intel Xeon che ha costruito questo notebook la loss è arrivata entro 0,05 dal
# livello del solo formato al passo 200 ed è scesa di 0,1 sotto di esso al passo 500; con i
# kernel AVX2, ai passi 200 e 600. La cella verifica i margini più larghi che stampa, e
# questi hanno retto in tutte le configurazioni che abbiamo provato.
#
# Ogni punto arancione è una stima: la loss media di 10 batch di validazione presi a caso.
# La cella ha misurato di quanto una stima così si sposta per puro caso, a modello invariato
# (è stampato qui sopra). Una gobba nella curva di validazione più piccola di così è rumore,
# non un modello che peggiora.
#
# Perché si ferma sopra il limite inferiore? Una finestra di addestramento comincia da un
# carattere a caso, quindi la prima riga della finestra spesso è tagliata: le cifre del suo
# risultato arrivano senza la domanda davanti, e il modello può solo tirare a indovinare. Lo
# mostra la loss in ogni posizione della finestra:

# %% id=cell-026 en=89c6b1bf
data = torch.tensor(own.tokenizer.encode(addition.text), dtype=torch.long)
_, val_data = train_val_split(data)          # la stessa divisione usata da train_task
x, y = get_batch(val_data, batch_size=256, block_size=32, generator=torch.Generator().manual_seed(0))
with torch.no_grad():
    logits, _ = own.model(x)
per_place = F.cross_entropy(logits.transpose(1, 2), y, reduction="none").mean(0)   # (T,)
above = {"0-9": float(per_place[:10].mean()) - levels["floor"],
         "10-31": float(per_place[10:].mean()) - levels["floor"]}
print(f"loss media sopra il limite inferiore ({levels['floor']:.3f}), in nat per carattere: "
      f"{above['0-9']:.1f} nelle posizioni 0-9 della finestra, {above['10-31']:.2f} nelle posizioni 10-31")
assert abs(above["10-31"]) < 0.005 and above["0-9"] > 0.3

# %% [markdown] id=cell-027 en=833d36f9
# Dalla posizione 10 in poi ogni carattere ha davanti a sé, nella finestra, la sua riga
# intera, e lì la loss è al limite inferiore (entro 0,005, stampato qui sopra); prima ne è
# molto lontana.
#
# ### Il pannello di addestramento
#
# Scegli un testo e una dimensione, premi il pulsante ▶ per addestrare, guarda la loss e
# premi il pulsante ■ quando vuoi fermarti: l'addestramento si ferma dopo il passo in corso,
# e il modello ottenuto fin lì resta in `panel.result`. L'addestramento gira in background, quindi intanto puoi continuare a usare
# il notebook. Il pannello parte dalla dimensione predefinita della lezione, small; prova la
# dimensione tiny su Shakespeare, oppure carica un testo tuo. Scegli tra caratteri e token
# BPE (con la dimensione del vocabolario) e un valore di dropout: la curva arancione è la
# loss di validazione, stimata ogni tanto; quella blu è la loss di ogni batch di
# addestramento. (Cambiando un'impostazione vedi la dimensione del testo e il costo; solo il
# pulsante ▶ fa partire l'addestramento.)

# %% [markdown] id=cell-029 en=48367cfd
# ## Genera
#
# Il pannello di generazione usa l'ultimo modello che hai addestrato nel pannello, altrimenti
# il modello predefinito qui sopra (dopo aver addestrato nel pannello, esegui di nuovo la
# cella). Cambia il prompt, la temperatura e il top-k (0 vuol dire nessun filtro top-k). Per
# le somme il pannello chiede anche al modello tutte le somme escluse, con le stesse
# impostazioni, e mostra le risposte giuste e sbagliate e l'accuratezza. Prova una
# temperatura bassa, e poi una alta.

# %% [markdown] id=cell-031 en=6cf8cc86
# ## Quanto bene sa sommare?
#
# La risposta migliore del modello, scegliendo ogni volta il carattere più probabile
# (top-k = 1), per ogni somma esclusa:

# %% id=cell-032 en=46951886
result = addition_accuracy(own.model, own.tokenizer, addition.held_out, addition.reverse)
# quali poche somme escono sbagliate, e quindi l'accuratezza esatta, dipende dagli ultimi bit
# dei pesi, e quindi dalla CPU: la cella stampa ciò che vale su tutti i computer provati
print(f"somme escluse giuste dopo {own.history.steps[-1]} passi: almeno il 98%:",
      result["accuracy"] >= 0.98)
print("ogni cifra del risultato giusta in almeno il 98% delle somme:", min(result["per_place"].values()) >= 0.98)
assert result["accuracy"] >= 0.98 and min(result["per_place"].values()) >= 0.98

# %% id=cell-033 en=40c34ba9
# NBVAL_IGNORE_OUTPUT
# (perché: questa tabella mostra l'accuratezza esatta e le somme sbagliate, che cambiano da
# una CPU all'altra, vedi sopra; l'affermazione è verificata nella cella precedente e qui)
display(HTML(addition_table_html(result, show=5)))
print("cifre giuste, per posizione:", {p: f"{100 * v:.1f}%" for p, v in result["per_place"].items()})
assert sum(r[3] for r in result["rows"]) >= 0.98 * len(result["rows"])

# %% [markdown] id=cell-034 en=28431a7d
# Quindi dopo questo breve addestramento il modello risponde giusto a quasi tutte le somme
# escluse: somme che non compaiono mai nel suo testo di addestramento, e nemmeno le loro
# speculari; dunque fa di più che ripetere righe che ha letto.
#
# Un addestramento più lungo l'ha fatto `scripts/train_addition.py`, con i risultati al
# contrario e nell'ordine normale, misurando durante l'addestramento l'accuratezza di ogni
# cifra. Il notebook ne carica i risultati da `data/addition_run.json`, dove i due ordini si
# chiamano `reversed` (al contrario) e `as written` (nell'ordine normale):

# %% id=cell-035 en=d9c76f48
run = json.loads((DATA_DIR / "addition_run.json").read_text(encoding="utf-8"))
print(f"dimensione {run['size']}, {run['config']['max_iters']:,} passi per addestramento, seed {run['seeds']}, "
      f"un thread ({run['cpu']}); per rifarlo: {run['command']}")
for name, seeds in run["runs"].items():
    held = [r["accuracy"][-1] for r in seeds]
    seen_acc = [r["train_accuracy"][-1] for r in seeds]
    print(f"risultati {name:10}: accuratezza sulle escluse dal {100 * min(held):5.1f}% al "
          f"{100 * max(held):5.1f}% su {len(seeds)} seed dopo {seeds[0]['eval_steps'][-1]:,} "
          f"passi (somme del testo di addestramento: dal {100 * min(seen_acc):.1f}% al {100 * max(seen_acc):.1f}%)")
fig = plot_addition_digits({f"{name} (seed {seeds[0]['seed']})": seeds[0]
                            for name, seeds in run["runs"].items()})

# %% id=cell-036 en=5b2a5253
best_reversed = max(r["accuracy"][-1] for r in run["runs"]["reversed"])
worst_written = min(r["accuracy"][-1] for r in run["runs"]["as written"])
print(f"seed peggiore nell'ordine normale {100 * worst_written:.1f}%, seed migliore al contrario "
      f"{100 * best_reversed:.1f}%: l'ordine normale è avanti con ogni seed"
      if worst_written > best_reversed else "i seed si sovrappongono: nessun ordine è avanti con ogni seed")
for name, seeds in run["runs"].items():
    firsts = [next((s for s, a in zip(r["eval_steps"], r["accuracy"]) if a >= 0.9), None)
              for r in seeds]
    print(f"risultati {name:10}: passo in cui l'accuratezza sulle escluse arriva al 90% la prima volta: "
          f"{', '.join(format(f, ',') if f else 'mai' for f in firsts)} (uno per seed)")

# %% [markdown] id=cell-037 en=5496ca58
# Questo ci ha sorpreso. Si dice spesso che per un GPT i risultati al contrario siano più
# facili, eppure in questa configurazione (caratteri, posizioni apprese, finestre casuali,
# questo modello piccolo) i risultati nell'ordine normale sono stati imparati in 1.500-2.000
# passi con ciascuno dei tre seed, mentre quelli al contrario sono rimasti molto più in
# basso in 3.000 passi (i numeri sono stampati qui sopra; il grafico mostra che i modelli al
# contrario imparano prima la cifra delle unità e poi si bloccano). Le somme escluse e le
# loro speculari non compaiono mai nel testo, quindi le risposte giuste vengono dal saper
# sommare. Non abbiamo verificato perché qui l'ordine al contrario sia più lento.
# Una ragione possibile: nell'ordine normale la prima cifra del risultato (le centinaia, 0 o
# 1) chiede solo se la somma arriva a 100, cosa che un modello può imparare un po' alla
# volta; al contrario, la prima cifra è quella delle unità della somma, dove una risposta
# quasi giusta non vale più di una sbagliata. La lezione da portare a casa: una regola su che
# cosa è facile per un modello va misurata sulla tua configurazione.

# %% [markdown] id=cell-038 en=c0f4bf3c
# ## Overfitting: un modello troppo grande per il suo testo
#
# Il testo delle somme ha 20.000 righe. E se il tuo testo è corto? Qui la dimensione small,
# con circa 109.000 parametri, si addestra sui primi 3.000 caratteri del testo di
# Shakespeare (l'inizio dell'*Amleto*), 2.700 dei quali per l'addestramento. Stimiamo le loss
# di addestramento e di validazione ogni 25 passi:

# %% id=cell-039 en=334ddc3e
shakespeare = load_task("shakespeare")
little = Task("file", shakespeare.text[:3000], "i primi 3,000 caratteri di Shakespeare")
with one_thread():
    over = train_task(little, "small", max_iters=300, eval_interval=25)
h, params = over.history, sum(p.numel() for p in over.model.parameters())
low = min(h.eval_val)
low_step, rise = h.eval_steps[h.eval_val.index(low)], h.eval_val[-1] - low
noise = val_estimate_spread(over)            # di quanto si sposta una stima per puro caso
n_train = int(TRAIN_FRACTION * len(little.text))
print(f"{params:,} parametri, {n_train:,} caratteri di addestramento: "
      f"{params / n_train:.0f} parametri per carattere")
print(f"val al minimo entro il passo 150: {low_step <= 150}, a {low:.1f}; al passo 300 è salita di "
      f"{math.floor(rise * 10) / 10:.1f} o più, mentre train è scesa a {h.eval_train[-1]:.1f}")
print(f"la salita è più del doppio della dispersione casuale della stima ({noise:.1f}): {rise > 2 * noise}")
chars_per_step = SIZES["small"].batch_size * SIZES["small"].block_size   # caratteri per passo
print(f"passate sul testo di addestramento: {150 * chars_per_step / n_train:.0f} entro il passo 150, "
      f"{300 * chars_per_step / n_train:.0f} entro il passo 300")
assert low_step <= 150 and rise > 2 * noise and h.eval_train[-1] < h.eval_train[h.eval_val.index(low)]
fig = plot_loss_curves(h, title="small su 2,700 caratteri: train scende, val sale")

# %% [markdown] id=cell-040 en=55ee8340
# Le stesse misure per l'addestramento predefinito sulle somme:

# %% id=cell-041 en=edcbaf60
own_chars = int(TRAIN_FRACTION * len(addition.text))
own_params = sum(p.numel() for p in own.model.parameters())
own_rise = own.history.eval_val[-1] - min(own.history.eval_val)
print(f"{own_params:,} parametri, {own_chars:,} caratteri di addestramento: "
      f"{own_params / own_chars:.1f} parametri per carattere, "
      f"{own.history.steps[-1] * chars_per_step / own_chars:.1f} passate sul testo")
print(f"val finale entro la dispersione casuale della stima dal suo minimo: {own_rise <= spread}")
assert own_rise <= spread

# %% [markdown] id=cell-042 en=9b8fb255
# La loss di addestramento continua a scendere: il modello impara a memoria questi 2.700
# caratteri. La loss di validazione smette di scendere entro i primi 150 passi e poi sale,
# più di quanto il caso possa spiegare: quello che il modello impara ora sono dettagli dei
# suoi 2.700 caratteri che i 300 successivi (la parte di validazione) non condividono. Questo
# è l'**overfitting** (il sovradattamento).
#
# La regola pratica che suggeriscono questi due addestramenti: con circa 40 parametri per
# carattere di testo, il modello small va in overfitting dopo qualche decina di passate sul
# testo; con meno parametri che caratteri e poche passate (l'addestramento sulle somme), la
# sua loss di validazione finisce al minimo, entro il margine del caso. Due addestramenti non
# fanno una legge, quindi misuralo sul tuo testo: guarda la curva di validazione (il pannello
# la disegna) e tieni il modello del suo punto più basso; oppure dagli più testo, una
# dimensione più piccola o un po' di dropout (il pannello ha tutte e tre le cose).

# %% [markdown] id=cell-043 en=6fd6ae05
# ## Salva, ricarica, continua
#
# `save_model` scrive il modello in una cartella tua, `notebooks/my_models/<name>/`: il
# checkpoint sicuro del corso (niente pickle; un salvataggio interrotto non lascia mai un
# file rotto), il testo di addestramento e la storia della loss. Non scrive mai in `data/`
# (i file del corso) e non sostituisce mai una cartella che non ha creato lui. Qui passiamo
# `overwrite=True`, perché eseguendo di nuovo il notebook si sostituisce il modello salvato
# la volta precedente.

# %% id=cell-044 en=167e9abd
folder = save_model(own, "addition-small", overwrite=True)
print("salvato in", folder.relative_to(folder.parents[2]))
print(sorted(p.name for p in folder.iterdir()))
try:
    save_model(own, folder=DATA_DIR / "checkpoints" / "il_mio_modello")
except ValueError as err:
    print("rifiutato:", str(err)[str(err).index("il_mio_modello"):][:60], "...")

# %% [markdown] id=cell-045 en=508803fa
# Ricaricato, il modello dà le stesse risposte:

# %% id=cell-046 en=c8bcf089
back = load_model(folder)
again = addition_accuracy(back.model, back.tokenizer, addition.held_out, addition.reverse)
print("stesse risposte a tutte le somme escluse:", again["rows"] == result["rows"])

# %% [markdown] id=cell-047 en=0af90756
# Dalla cartella del repository, questi comandi fanno generare il tuo modello e lo
# addestrano ancora, salvandolo in una cartella nuova (`--init-from` parte dai suoi pesi,
# dalla sua configurazione e dal suo vocabolario; le medie mobili di AdamW e l'andamento del
# learning rate, warmup compreso, ripartono da zero). Per scegliere `--max-iters` usa il
# tempo per passo misurato più sopra.

# %% [markdown] id=cell-049 en=ff6c8a4c
# ## Esercizi
#
# ### Esercizio 1: una riga del testo delle somme
#
# Scrivi `my_addition_line(a, b, reverse)`: la riga di `a + b`, senza l'a capo. I due
# numeri hanno due cifre, il risultato tre; con `reverse=True` le cifre del risultato sono
# scritte al contrario. Per esempio `7, 45, True` dà `'07+45=250'` e `7, 45, False` dà
# `'07+45=052'`.

# %% id=cell-050 en=bf5f92ec
def my_addition_line(a, b, reverse):
    # TODO: f"{a:02d}+{b:02d}=" e poi il risultato, portato a 3 cifre, al contrario se richiesto
    raise NotImplementedError


check_addition_line(my_addition_line)

# %% [markdown] id=cell-052 en=925004cc
# ### Esercizio 2: valuta le risposte
#
# Scrivi `my_accuracy(answers, pairs, reverse)`: `answers[i]` sono i tre caratteri che il
# modello ha scritto per `pairs[i] = (a, b)`. Restituisci la frazione (da 0 a 1) delle
# risposte che sono la somma giusta. Un modello può scrivere qualunque cosa, per esempio
# `'x4 '`: una risposta così è sbagliata, non è un errore.

# %% id=cell-053 en=1c0c3569
def my_accuracy(answers, pairs, reverse):
    # TODO: annulla l'inversione, controlla che la risposta sia un numero, confrontala con a + b
    raise NotImplementedError


check_addition_accuracy(my_accuracy)

# %% [markdown] id=cell-055 en=f6b683ea
# ## Riepilogo
#
# - Qualunque testo UTF-8 può fare da dati di addestramento per un GPT; i suoi caratteri
#   sono il vocabolario. Il compito delle somme è generato, con delle somme escluse che non
#   compaiono mai nel testo di addestramento.
# - Il costo di un modello per un testo: i parametri (contati sul modello costruito), 16
#   byte per parametro per i pesi e lo stato di AdamW più le attivazioni conservate (di più,
#   per queste dimensioni), e un tempo misurato sul tuo computer.
# - La loss delle somme non può scendere sotto il limite inferiore fissato dalle cifre
#   casuali della domanda, e dice poco sulla capacità di sommare in sé: misura l'accuratezza
#   sulle somme escluse, escludendo anche le loro speculari. Nella configurazione di questo
#   corso i risultati nell'ordine normale sono stati imparati molto più in fretta di quelli al
#   contrario, con ciascuno dei tre seed.
# - Addestra con `train_task` (o con il pannello, che puoi fermare quando vuoi), salva con
#   `save_model` in `notebooks/my_models/` e continua con
#   `python -m course_lib.train --init-from`.
#
# **Prossima lezione:** [lezione 12: che cosa è cambiato dopo GPT-2](12_modern_gpt.ipynb)
# attiva le quattro novità dei modelli aperti di oggi (RMSNorm, RoPE, SwiGLU, grouped-query
# attention) nello stesso `GPTConfig`, e misura che cosa porta ciascuna.
