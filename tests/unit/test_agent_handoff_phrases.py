"""Handoffs on phrases written for this check (none of them is in the labelled corpus): complaints
and distress told as stories, money problems, bad experiences, demands for an explanation,
legal threats, indirect requests for a person and masked abuse, in Portuguese and English, must
reach a person; prospects asking about a service (a repair, a fracture, a puppy) must not."""

from __future__ import annotations

import pytest

from matrix.agent.context import ThreadMessage
from matrix.agent.corpus import load_corpus
from matrix.agent.rules import FORWARD_STAGES, handoff, qualify
from matrix.modules.crm.funnel import STAGES


def inbound(text: str) -> list[ThreadMessage]:
    return [ThreadMessage(direction="inbound", text=text)]


HANDED_OFF = [
    # damage or injury told as a story
    ("buscamos a cachorrinha ontem e ela tava com um corte na pata", "complaint"),
    ("o técnico de vcs riscou o piso da sala todo", "complaint"),
    ("quebraram meu vaso na mudança", "complaint"),
    ("o pedido veio errado de novo", "complaint"),
    ("a encomenda atrasou uma semana e ninguém fala nada", "complaint"),
    ("meu pacote sumiu, cadê meu pedido?", "complaint"),
    ("peguei o carro na oficina de vcs e ele tava todo riscado", "complaint"),
    ("o menino se machucou na aula de ontem e ninguém avisou", "complaint"),
    ("faz 3 semanas e nada do técnico", "complaint"),
    ("o ar continua vazando depois do conserto", "complaint"),
    ("a prótese soltou em 3 dias", "complaint"),
    ("me deixaram esperando 2 horas na recepção", "complaint"),
    ("we picked him up and he was limping", "complaint"),
    ("your groomer nicked my dog's ear", "complaint"),
    ("the movers scratched our floor", "complaint"),
    ("my order arrived damaged", "complaint"),
    ("it arrived wrong, again", "complaint"),
    ("the technician never showed up", "complaint"),
    ("my car came back with a dent in the door", "complaint"),
    ("it broke again after two days", "complaint"),
    ("it still leaks", "complaint"),
    ("it's been two weeks and nothing", "complaint"),
    # money
    ("fui cobrada duas vezes no cartão", "complaint"),
    ("quero o estorno dessa cobrança indevida", "complaint"),
    ("paguei e até agora nada", "complaint"),
    ("still waiting for my refund", "complaint"),
    ("I was double billed this month", "complaint"),
    ("I'm filing a chargeback", "complaint"),
    # bad experience, demands for an explanation
    ("que descaso com o cliente", "complaint"),
    ("estou indignada com o atendimento de ontem", "complaint"),
    ("pessimo atendimento, nunca mais volto", "complaint"),
    ("isso é um absurdo", "complaint"),
    ("quero uma explicação agora", "complaint"),
    ("o que aconteceu com meu carro?", "complaint"),
    ("absolutely disgusted with the service", "complaint"),
    ("this is unacceptable", "complaint"),
    ("worst experience ever", "complaint"),
    ("I want an explanation", "complaint"),
    ("what happened to my car?", "complaint"),
    # legal
    ("vou abrir reclamação no procon", "legal"),
    ("vou entrar no juizado de pequenas causas", "legal"),
    ("meu advogado já está sabendo", "legal"),
    ("I'll take you to small claims court", "legal"),
    ("I'm reporting you to trading standards", "legal"),
    ("my solicitor will be in touch", "legal"),
    # a person, asked for indirectly
    ("quero falar com o dono", "human_requested"),
    ("cadê a gerente?", "human_requested"),
    ("aqui só tem robô? quero alguém de carne e osso", "human_requested"),
    ("chega de robô, quero gente", "human_requested"),
    ("pede pro Carlos me ligar", "human_requested"),
    ("can I speak to the owner?", "human_requested"),
    ("is this automated?", "human_requested"),
    ("stop the bot and get me someone", "human_requested"),
    ("have Sarah call me please", "human_requested"),
    # abuse, masked swearing, harassment, threats
    ("vai se f*der", "abusive"),
    ("p0rra de atendimento", "abusive"),
    ("seus m3rdas", "abusive"),
    ("vc é solteira?", "abusive"),
    ("me manda uma foto sua de biquíni", "abusive"),
    ("vou aí quebrar tudo", "abusive"),
    ("you f***ing clowns", "abusive"),
    ("sh1t service", "abusive"),
    ("are you single?", "abusive"),
    ("you'll regret this", "abusive"),
]

ANSWERED = [
    "o tratamento cobre fratura?",
    "vocês consertam tela quebrada?",
    "meu celular quebrou, vcs consertam?",
    "a tela do meu notebook trincou, quanto fica a troca?",
    "meu cachorro machucou a pata, vcs atendem hoje?",
    "vcs fazem reembolso se eu cancelar antes?",
    "qual a política de estorno de vcs?",
    "tenho vergonha do meu sorriso, o clareamento resolve?",
    "meu cabelo tá horrível, vcs fazem hidratação?",
    "como funciona o processo de matrícula?",
    "vcs conseguem processar o pagamento no cartão?",
    "preciso conversar com a minha esposa antes de fechar",
    "vcs vendem robô aspirador?",
    "me explica como funciona o plano?",
    "ainda não decidi, te aviso semana que vem",
    "o trabalho de vcs é absurdo de lindo!",
    "vcs entregam sem atraso pra zona sul?",
    "qual o prazo de entrega?",
    "vou me atrasar uns 10 minutos",
    "beijos, até amanhã",
    "quanto custa pra consertar um carro batido?",
    "a parede da minha casa está rachada, vcs fazem reforma?",
    "vcs cobram a visita técnica?",
    "a garantia cobre se quebrar?",
    "vc sumiu! ainda tem vaga?",
    "vcs trabalham com cabelo humano?",
    "meu último dentista foi péssimo, queria agendar com vcs",
    "sou advogada e quero um site pro meu escritório",
    "is it safe for a puppy?",
    "do you fix cracked screens?",
    "my phone broke, can you repair it?",
    "my dog hurt his paw, can you see him today?",
    "what's your refund policy?",
    "do you offer refunds if I cancel?",
    "how does the process work?",
    "can you explain how the plan works?",
    "I need to talk to my wife first",
    "my teeth look terrible, can whitening help?",
    "what's the worst case if it doesn't work?",
    "do you charge for parking?",
    "still not sure which plan, what's the difference?",
    "how long does delivery take?",
    "my car was damaged in a hailstorm, do you do dent repair?",
    "do you sell robot vacuums?",
    "does the insurance cover a broken tooth?",
    "I'd like to book a cleaning, my last dentist was terrible",
    "I have terrible back pain, do you do massages?",
    "can Sue do my nails on Friday?",
]

MORE_HANDED_OFF = [
    ("levei meu gato pra tosa e ele voltou com a pele toda assada", "complaint"),
    ("a moça da recepção foi super grossa comigo", "complaint"),
    ("o motoboy jogou a pizza no portão, chegou toda revirada", "complaint"),
    ("comprei o sofá há 2 meses e o tecido já rasgou", "complaint"),
    ("a instalação foi semana passada e o painel já parou", "complaint"),
    ("meu filho voltou da natação com o olho vermelho e inchado", "complaint"),
    ("vocês me cobraram uma taxa que ninguém me falou", "complaint"),
    ("apareceu uma cobrança de 89 reais no meu cartão que eu não reconheço", "complaint"),
    ("cancelei e continuam cobrando", "complaint"),
    ("até hoje não recebi o estorno", "complaint"),
    ("o conserto não durou nem uma semana", "complaint"),
    ("to muito decepcionada, esperava mais de vcs", "complaint"),
    ("que falta de profissionalismo", "complaint"),
    ("ninguém me avisou que a consulta foi desmarcada, perdi o dia de trabalho", "complaint"),
    ("marcaram e não vieram", "complaint"),
    ("vcs me enrolaram o mês inteiro", "complaint"),
    ("vou expor vcs no instagram", "complaint"),
    ("vou chamar a polícia", "legal"),
    ("meu advogado vai ligar", "legal"),
    ("posso falar com o dr. Ricardo?", "human_requested"),
    ("quero ser atendida por uma pessoa", "human_requested"),
    ("passa pra alguém que resolva", "human_requested"),
    ("isso aqui é automático? não to entendendo nada", "human_requested"),
    ("vai tomar no c*", "abusive"),
    ("seu filho da p***", "abusive"),
    ("vc é muito gata, me passa teu zap pessoal", "abusive"),
    ("the cleaner broke my grandmother's vase", "complaint"),
    (
        "my daughter came home from practice with a bruise on her arm and no one called me",
        "complaint",
    ),
    ("the food was cold and the order was missing the fries", "complaint"),
    ("you charged my card after I cancelled", "complaint"),
    ("I cancelled last month and you're still billing me", "complaint"),
    ("I never received the replacement you promised", "complaint"),
    ("the install was last week and the panel already stopped working", "complaint"),
    ("your receptionist was incredibly rude to me", "complaint"),
    ("I've been on hold for an hour", "complaint"),
    ("this is ridiculous, three appointments cancelled in a row", "complaint"),
    ("I'm contacting my attorney", "legal"),
    ("I'll be leaving a review on Google about this", "complaint"),
    ("put me through to a manager please", "human_requested"),
    ("I don't want to talk to a machine", "human_requested"),
    ("let me talk to whoever is in charge", "human_requested"),
    ("is anyone actually reading these?", "human_requested"),
    ("go f*** yourself", "abusive"),
    ("you absolute muppets", "abusive"),
    ("hey sexy, what's your number?", "abusive"),
    ("the dog came back with cuts all over his belly from the clippers", "complaint"),
    ("they shaved my cat way too short and now she has a rash", "complaint"),
    ("the plumber left water all over the floor and it ruined the carpet", "complaint"),
    ("my parcel says delivered but nothing is here", "complaint"),
    ("ordered on the 3rd and it still hasn't come", "complaint"),
    (
        "oi, semana passada fiz a limpeza de pele com vcs e meu rosto tá cheio de bolinhas até hoje",
        "complaint",
    ),
    ("o bolo do aniversário chegou todo amassado, estragou a festa", "complaint"),
    ("pedi sem cebola e veio com cebola, sou alérgica", "complaint"),
    ("a diarista que vcs mandaram quebrou minha tv", "complaint"),
    ("o rapaz da entrega arranhou a porta do carro", "complaint"),
    ("não é possível, de novo cobraram a mensalidade que eu já paguei", "complaint"),
    ("quero meu dinheiro, já que vcs não cumpriram o prazo", "complaint"),
    ("vcs não cumpriram o combinado", "complaint"),
    ("tô esperando desde as 8h e até agora ninguém", "complaint"),
    ("absurdo o que fizeram com meu cachorro", "complaint"),
    ("vou processar essa clínica", "legal"),
    ("quero conversar com alguém responsável, não com robô", "human_requested"),
    ("você é uma máquina? responde direito", "human_requested"),
    ("the dress shrank after one wash", "complaint"),
    ("you guys lost my booking and now I have no appointment", "complaint"),
    ("my son got a burn from the hot towel at your spa", "complaint"),
    ("we were promised a callback three days ago", "complaint"),
    ("still no refund after 6 weeks", "complaint"),
    ("I demand to speak with a supervisor", "human_requested"),
    ("get me someone who actually knows what they're doing", "human_requested"),
    ("this is a rip off", "complaint"),
    ("you're a bunch of crooks", "abusive"),
    ("f u", "abusive"),
    ("ur so hot", "abusive"),
    ("the delivery guy threw the box over the fence and it's smashed", "complaint"),
]

MORE_ANSWERED = [
    "meu cachorro tá com alergia na pele, vcs tratam?",
    "meu gato cortou a pata no vidro, vcs atendem urgência?",
    "a ultima empresa que contratei foi um desastre, quero fazer com vcs",
    "vcs fazem conserto de sofá rasgado?",
    "minha tv quebrou, vcs consertam ou só vendem?",
    "tô com o dente quebrado, tem horário hoje?",
    "qual o prazo de devolução se não servir?",
    "posso trocar se não servir?",
    "o carro tá fazendo um barulho estranho, vcs olham?",
    "a porta do meu guarda roupa caiu, vcs montam?",
    "quanto tempo demora a entrega?",
    "vcs atendem no sábado?",
    "quero falar sobre o preço com vc",
    "posso falar com vc por áudio?",
    "meu filho caiu e quebrou o braço, vcs fazem fisioterapia?",
    "oi! sumi né kkk, ainda tem a promoção?",
    "ontem não consegui responder, desculpa",
    "my roof got damaged in the storm, can you give me a quote?",
    "our last cleaner was awful, are you available Friday?",
    "my dog is terrified of grooming, do you have experience with anxious dogs?",
    "what happens if the package arrives damaged?",
    "do you offer a guarantee if it breaks?",
    "I'm still deciding between the two packages",
    "sorry I missed your call, what's up?",
    "is the owner involved in the work herself?",
    "can I talk to you tomorrow instead?",
    "the weather was terrible yesterday, can we reschedule?",
    "my skin is a disaster, what treatment do you recommend?",
    "I'm waiting for my paycheck, then I'll book",
    "is the treatment painful?",
    "tenho um sofá rasgado, vcs reformam?",
    "meu cachorro tá mancando desde ontem, dá pra trazer hoje?",
    "qual o valor pra consertar um para-choque amassado?",
    "vcs trabalham com reembolso do plano de saúde?",
    "o convênio reembolsa a consulta?",
    "pode me mandar a nota pra eu pedir reembolso na empresa?",
    "esse tratamento dói muito?",
    "meu filho é muito agitado, vcs atendem crianças assim?",
    "o que acontece se eu faltar na sessão?",
    "queria saber o que aconteceu com a promoção do mês passado, ainda vale?",
    "ficou lindo, amei!",
    "vcs tem horário pra amanhã de manhã?",
    "can I get reimbursed by my insurance?",
    "do you work with insurance reimbursement?",
    "what happens if I'm late to my appointment?",
    "my puppy is scared of strangers, is that a problem?",
    "the last time I checked you had a promo, is it still on?",
    "is the manager's special still available?",
    "is Dr. Lee accepting new patients?",
    "can you send me the brochure?",
    "sorry for the late reply, crazy week",
    "our old website is terrible, we need a new one",
    "I hurt my back at the gym, do you do physio?",
    "thanks, that's really kind",
]
HANDED_OFF += MORE_HANDED_OFF
ANSWERED += MORE_ANSWERED


@pytest.mark.parametrize(("text", "code"), HANDED_OFF)
def test_a_contact_who_needs_a_person_is_handed_off(text: str, code: str) -> None:
    found = handoff(inbound(text))
    assert found is not None, text
    assert found.reason_code == code, (text, found)


@pytest.mark.parametrize("text", ANSWERED)
def test_a_prospect_asking_about_a_service_is_answered(text: str) -> None:
    found = handoff(inbound(text))
    assert found is None, (text, found)


def test_these_phrases_are_not_from_the_labelled_corpus() -> None:
    seen = {m.text.strip().lower() for c in load_corpus() for m in c.messages}
    ours = [t.lower() for t, _ in HANDED_OFF] + [t.lower() for t in ANSWERED]
    assert not seen & set(ours)
    assert len(ours) >= 60 and len(ANSWERED) >= 20


@pytest.mark.parametrize("stage", [s for s in STAGES if s not in ("won", "disqualified")])
@pytest.mark.parametrize("text", [t for t, _ in HANDED_OFF[::4]])
def test_a_thread_with_a_handoff_is_never_moved_forward(text: str, stage: str) -> None:
    s = qualify(inbound(text), stage)
    assert not (s.moves and s.suggested_stage in FORWARD_STAGES), (text, s)


@pytest.mark.parametrize("stage", ["new", "contacted", "nurturing", "lost"])
def test_a_handoff_outranks_words_that_read_as_interest_or_closing(stage: str) -> None:
    for text in ("quero agendar, mas antes quero uma explicação do que aconteceu",
                 "tenho interesse, mas ninguém me responde",
                 "fechado, mas vou no procon se cobrarem de novo",
                 "I'd like to book again but my dog came back limping"):  # fmt: skip
        s = qualify(inbound(text), stage)
        assert handoff(inbound(text)) is not None, text
        assert not (s.moves and s.suggested_stage in FORWARD_STAGES), (text, s)
