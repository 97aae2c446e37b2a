"""The pictures' geometry, without a database: claims.charts."""

from datetime import date, timedelta
from unittest import TestCase

from hypothesis import given
from hypothesis import strategies as st

from claims import charts
from claims import conflicts as rules

MON, TUE = date(2015, 1, 5), date(2015, 1, 6)
PSAKI, SANCHEZ, RUBIO, EARNEST = 1, 2, 3, 4
LANES = [
    charts.Lane(PSAKI, "Jen Psaki (U.S. Department of State)", "Jen Psaki"),
    charts.Lane(SANCHEZ, "Elizardo Sanchez"),
    charts.Lane(RUBIO, "Marco Rubio"),
    charts.Lane(EARNEST, "Josh Earnest"),
]
FIFTY_THREE = rules.TopicRules(has_quantity=True, quantity_min=0, quantity_max=53)


def claim(id, source, stance=rules.AFFIRMS, on=TUE, *, superseded=False, **facts):
    kind = rules.POSITION if stance == "position" else rules.FACT
    return charts.ChartClaim(
        facts=rules.ClaimFacts(
            id=id,
            source_id=source,
            kind=kind,
            stance="" if kind == rules.POSITION else stance,
            stated_on=facts.pop("stated_on", on),
            as_of=facts.pop("as_of", None),
            **facts,
        ),
        lane=source,
        label=f"claim {id}",
        superseded=superseded,
    )


def january():
    """Monday's "unable to say", Tuesday's "some", CCDHRN's "no information", Rubio's demand."""
    return [
        claim(1, PSAKI, rules.NO_INFORMATION, MON, superseded=True),
        claim(2, PSAKI, quantity_min=1, quantity_max=53),
        claim(3, SANCHEZ, rules.NO_INFORMATION),
        claim(4, RUBIO, "position"),
    ]


class TimelineTests(TestCase):
    def test_it_draws_nothing_when_there_is_no_claim(self):
        self.assertIsNone(charts.timeline([], LANES))
        self.assertIsNone(charts.range_chart([], LANES, FIFTY_THREE))

    def test_it_shapes_and_colours_each_stance_never_by_colour_alone(self):
        chart = charts.timeline(
            [
                claim(1, PSAKI, rules.AFFIRMS),
                claim(2, SANCHEZ, rules.DENIES),
                claim(3, RUBIO, rules.NO_INFORMATION),
                claim(4, EARNEST, "position"),
            ],
            LANES,
        )

        shapes = {m.stance: m.shape for m in chart.marks}
        self.assertEqual(
            shapes,
            {
                "affirms": "circle",
                "denies": "cross",
                "no_information": "diamond",
                "position": "square",
            },
        )
        self.assertEqual(len(set(shapes.values())), 4)
        self.assertEqual(len({m.stroke for m in chart.marks}), 4)

    def test_it_draws_a_superseded_claim_hollow_and_faded(self):
        monday, tuesday = charts.timeline(january(), LANES).marks[:2]

        self.assertTrue(monday.superseded)
        self.assertEqual((monday.fill, monday.opacity), (charts.PAPER, charts.FADED))
        self.assertEqual((tuesday.fill, tuesday.opacity), (tuesday.stroke, 1.0))

    def test_it_puts_each_claim_in_its_sources_lane_at_its_date(self):
        chart = charts.timeline(january(), LANES)
        lanes = {lane.key: lane.y for lane in chart.lanes}
        monday, tuesday, sanchez, _rubio = chart.marks

        self.assertEqual(monday.y, tuesday.y)
        self.assertEqual(monday.y, lanes[PSAKI])
        self.assertEqual(sanchez.y, lanes[SANCHEZ])
        self.assertLess(monday.x, tuesday.x)
        self.assertEqual(tuesday.x, sanchez.x)
        self.assertTrue(chart.plot_left <= monday.x < tuesday.x <= chart.plot_right)

    def test_it_places_a_claim_at_the_day_it_is_about(self):
        late = claim(1, PSAKI, stated_on=date(2015, 1, 9), as_of=MON)
        chart = charts.timeline([late, claim(2, SANCHEZ, on=MON)], LANES)

        self.assertEqual(chart.marks[0].x, chart.marks[1].x)

    def test_it_gives_each_mark_a_stable_id_and_its_text_alternative(self):
        chart = charts.timeline(january(), LANES)

        self.assertEqual([m.dom_id for m in chart.marks], [f"mark-claim-{i}" for i in (1, 2, 3, 4)])
        self.assertEqual([m.label for m in chart.marks], [f"claim {i}" for i in (1, 2, 3, 4)])

    def test_it_joins_the_two_claims_of_an_open_conflict_with_a_line(self):
        gap = charts.Link(id=9, kind="gap", claim_a=2, claim_b=3, label="Gap")
        chart = charts.timeline(january(), LANES, [gap])
        marks = {m.claim_id: m for m in chart.marks}

        [line] = chart.lines
        self.assertEqual((line.x1, line.y1), (marks[2].x, marks[2].y))
        self.assertEqual((line.x2, line.y2), (marks[3].x, marks[3].y))
        self.assertEqual(line.dash, charts.CONFLICT_DASHES["gap"])

    def test_it_draws_contradictions_and_gaps_differently(self):
        self.assertNotEqual(charts.CONFLICT_DASHES["gap"], charts.CONFLICT_DASHES["contradiction"])

    def test_it_skips_a_conflict_whose_claim_is_not_in_the_picture(self):
        elsewhere = charts.Link(id=9, kind="gap", claim_a=2, claim_b=99, label="Gap")

        self.assertEqual(charts.timeline(january(), LANES, [elsewhere]).lines, ())

    def test_it_refuses_a_claim_whose_lane_is_not_given(self):
        with self.assertRaises(ValueError):
            charts.timeline([claim(1, 99)], LANES)

    def test_it_spreads_one_sources_claims_of_one_day_side_by_side(self):
        chart = charts.timeline([claim(i, PSAKI, "position") for i in range(1, 4)], LANES)

        xs = [m.x for m in chart.marks]
        self.assertEqual(len(set(xs)), 3)
        self.assertAlmostEqual(sum(xs) / 3, (chart.plot_left + chart.plot_right) / 2, places=0)

    def test_it_centres_a_one_day_topic_under_one_tick(self):
        chart = charts.timeline([claim(1, PSAKI), claim(2, SANCHEZ)], LANES)

        [tick] = chart.ticks
        self.assertEqual(tick.label, "Jan 6, 2015")
        self.assertEqual(chart.marks[0].x, tick.x)

    def test_it_clips_a_long_lane_name_and_keeps_it_whole_as_a_title(self):
        long_name = "Cuban Commission for Human Rights and National Reconciliation, Havana office"
        chart = charts.timeline([claim(1, 7)], [charts.Lane(7, long_name)])

        [lane] = chart.lanes
        self.assertTrue(lane.label.endswith("…"))
        self.assertLessEqual(len(lane.label), charts.LABEL_MAX)
        self.assertEqual(lane.title, long_name)

    def test_it_describes_itself_in_words(self):
        gap = charts.Link(id=9, kind="gap", claim_a=2, claim_b=3, label="Gap")
        description = charts.timeline(january(), LANES, [gap]).description

        self.assertIn("4 claims from 4 sources, from Jan 5, 2015 to Jan 6, 2015", description)
        self.assertIn("1 claim superseded", description)
        self.assertIn("1 open conflict", description)

    def test_its_key_shows_every_shape_and_line(self):
        labels = [item.label for item in charts.timeline_legend()]

        self.assertEqual(
            labels[:5], ["Affirms", "Denies", "No information", "Declines to say", "Position"]
        )
        self.assertIn("Open gap", labels)
        self.assertIn("Open contradiction", labels)


class DateTickTests(TestCase):
    def test_it_ticks_days_weeks_months_and_years_as_the_span_grows(self):
        cases = [
            (date(2015, 1, 6), date(2015, 1, 6), ["Jan 6, 2015"]),
            (date(2015, 1, 5), date(2015, 1, 8), ["Jan 5, 2015", "Jan 6", "Jan 7", "Jan 8"]),
            (date(2015, 1, 1), date(2015, 1, 20), ["Jan 5, 2015", "Jan 12", "Jan 19"]),
            (date(2015, 1, 1), date(2015, 4, 20), ["Jan 2015", "Feb", "Mar", "Apr"]),
            (
                date(2014, 12, 20),
                date(2015, 2, 10),
                ["Dec 22, 2014", "Jan 5, 2015", "Jan 19", "Feb 2"],
            ),
            (
                date(2012, 3, 1),
                date(2015, 4, 20),
                ["Jul 2012", "Jan 2013", "Jul", "Jan 2014", "Jul", "Jan 2015"],
            ),
            (date(2009, 6, 1), date(2015, 1, 6), ["2010", "2011", "2012", "2013", "2014", "2015"]),
            (
                date(1959, 1, 1),
                date(2015, 1, 6),
                ["1960", "1970", "1980", "1990", "2000", "2010"],
            ),
            (date(1901, 1, 1), date(2015, 1, 6), ["1920", "1940", "1960", "1980", "2000"]),
        ]
        for start, end, labels in cases:
            with self.subTest(start=start, end=end):
                self.assertEqual([label for _, label in charts.date_ticks(start, end)], labels)

    @given(st.dates(date(1900, 1, 1), date(2100, 1, 1)), st.integers(0, 40000))
    def test_it_gives_one_to_six_ticks_in_order_inside_the_span(self, start, days):
        end = start + timedelta(days=days)

        ticks = [day for day, _ in charts.date_ticks(start, end)]

        self.assertTrue(1 <= len(ticks) <= 6)
        self.assertEqual(ticks, sorted(set(ticks)))
        self.assertTrue(all(start <= day <= end for day in ticks))

    def test_it_hides_every_other_label_on_a_narrow_screen_only_when_there_are_many(self):
        few = charts.timeline([claim(1, PSAKI, on=MON), claim(2, PSAKI, on=TUE)], LANES)
        many = charts.timeline(
            [claim(1, PSAKI, on=date(2015, 1, 1)), claim(2, PSAKI, on=date(2015, 6, 1))], LANES
        )

        self.assertFalse(any(t.odd for t in few.ticks))
        self.assertEqual([t.odd for t in many.ticks][:3], [False, True, False])


class RangeChartTests(TestCase):
    def chart(self, claims, topic=FIFTY_THREE):
        return charts.range_chart(claims, LANES, topic)

    def scale(self, chart, value, top=53):
        """The y of a value on a 0..top axis."""
        return round(chart.axis_y - value / top * (chart.axis_y - chart.plot_top), 1)

    def bar(self, mark):
        """Return the (top, bottom) of a mark's single bar, read back from its path."""
        [path] = mark.bars
        top = float(path.split("H")[0].split(" ")[1])
        bottom = float(path.split("V")[1].split("H")[0])
        return top, bottom

    def test_it_shows_some_against_36_against_all_53_at_once(self):
        chart = self.chart(
            [
                claim(1, PSAKI, quantity_min=1, quantity_max=53),
                claim(2, EARNEST, quantity_min=36, quantity_max=36),
                claim(3, RUBIO, quantity_min=53, quantity_max=53),
            ]
        )
        some, thirty_six, all_53 = chart.marks

        self.assertEqual(self.bar(some), (self.scale(chart, 53), self.scale(chart, 1)))
        top, bottom = self.bar(thirty_six)
        self.assertAlmostEqual((top + bottom) / 2, self.scale(chart, 36), places=0)
        self.assertEqual(bottom - top, charts.BAR_MIN_HEIGHT)
        self.assertLess(self.bar(all_53)[0], top)
        self.assertEqual(len({m.x for m in chart.marks}), 3)

    def test_it_draws_some_of_53_as_the_interval_1_to_53_visibly_not_53_released(self):
        chart = self.chart(
            [
                claim(1, PSAKI, quantity_min=1, quantity_max=53),
                claim(2, RUBIO, quantity_min=53, quantity_max=53),
            ]
        )
        some, all_53 = chart.marks

        [(_, cap, fill_opacity)] = some.drawn
        top, bottom = self.scale(chart, 53), self.scale(chart, 1)
        # A cap at each end, wider than the bar, and a light fill: an interval.
        self.assertIn(f" {top:g}H", cap)
        self.assertIn(f" {bottom:g}H", cap)
        self.assertEqual(fill_opacity, charts.RANGE_FILL_OPACITY)
        self.assertLess(fill_opacity, 1)
        # "All 53" is a solid block, with no caps: a single number.
        self.assertEqual(all_53.drawn[0][1:], ("", 1.0))
        self.assertIn("“some of 53” drawn from 1 to 53", chart.description)
        self.assertIn("not at the top", chart.description)

    def test_an_open_ended_range_has_a_cap_at_its_foot_only(self):
        open_ended = rules.TopicRules(has_quantity=True, quantity_min=0, quantity_max=None)
        chart = self.chart([claim(1, PSAKI, quantity_min=10)], open_ended)

        [(_, cap, _)] = chart.marks[0].drawn
        self.assertEqual(cap.count("M"), 1)

    def test_it_draws_no_information_as_a_diamond_on_the_date_axis(self):
        chart = self.chart(january())
        unknown = next(m for m in chart.marks if m.claim_id == 3)

        self.assertEqual(unknown.bars, ())
        self.assertIn(f" {chart.axis_y:g}L", unknown.unknown)

    def test_it_draws_what_a_denial_leaves_open_hollow(self):
        chart = self.chart(
            [
                claim(1, SANCHEZ, rules.DENIES),
                claim(2, PSAKI, rules.DENIES, quantity_min=53, quantity_max=53),
            ]
        )
        none, not_all = chart.marks

        self.assertEqual(none.fill, charts.PAPER)
        top, bottom = self.bar(none)
        self.assertAlmostEqual((top + bottom) / 2, chart.axis_y, places=0)
        self.assertEqual(self.bar(not_all), (self.scale(chart, 52), self.scale(chart, 0)))

    def test_it_leaves_out_positions_and_claims_about_one_detainee(self):
        chart = self.chart([*january(), claim(5, EARNEST, status="released", detainee_id=7)])

        self.assertEqual({m.claim_id for m in chart.marks}, {1, 2, 3})
        self.assertEqual([number for number, _ in chart.keys], [1, 2])

    def test_it_numbers_the_sources_in_its_key(self):
        chart = self.chart(january())

        self.assertEqual(
            chart.keys, ((1, "Jen Psaki (U.S. Department of State)"), (2, "Elizardo Sanchez"))
        )
        self.assertEqual({m.claim_id: m.key for m in chart.marks}, {1: 1, 2: 1, 3: 2})

    def test_it_has_no_range_chart_for_a_topic_that_counts_nothing(self):
        self.assertIsNone(self.chart(january(), rules.TopicRules()))

    def test_it_has_no_range_chart_when_only_positions_were_made(self):
        self.assertIsNone(self.chart([claim(4, RUBIO, "position")]))

    def test_it_marks_the_topics_bounds_on_its_axis(self):
        chart = self.chart(january())

        self.assertEqual([t.label for t in chart.value_ticks], ["0", "10", "20", "30", "40", "53"])
        self.assertEqual(chart.bound_y, chart.plot_top)

    def test_it_scales_a_topic_without_an_upper_bound_to_its_claims(self):
        open_ended = rules.TopicRules(has_quantity=True, quantity_min=0, quantity_max=None)
        chart = self.chart(
            [claim(1, PSAKI, quantity_min=10), claim(2, SANCHEZ, quantity_max=40)], open_ended
        )

        self.assertIsNone(chart.bound_y)
        self.assertGreaterEqual(float(chart.value_ticks[-1].label), 40)
        at_least_10 = chart.marks[0]
        self.assertIn("L", at_least_10.bars[0])  # the arrow: no upper bound

    def test_it_lines_up_with_the_timeline_of_the_same_claims(self):
        claims = january()
        timeline, chart = charts.timeline(claims, LANES), self.chart(claims)

        self.assertEqual(
            [(t.x, t.label) for t in timeline.ticks], [(t.x, t.label) for t in chart.date_ticks]
        )
        self.assertEqual(chart.marks[0].dom_id, "range-claim-1")


class ValueTickTests(TestCase):
    def test_it_keeps_both_bounds_and_drops_a_round_value_crowding_one(self):
        self.assertEqual(charts.value_ticks(0, 53), [0, 10, 20, 30, 40, 53])
        self.assertEqual(charts.value_ticks(0, 1), [0, 1])
        self.assertEqual(charts.value_ticks(5, 5), [5])


class LatestStatusTests(TestCase):
    def status(self, id, source, status, on, stance=rules.AFFIRMS):
        return claim(id, source, stance, on, status=status, detainee_id=7)

    def test_it_keeps_each_sources_latest_statement(self):
        cells = charts.latest_statuses(
            [
                self.status(1, PSAKI, "detained", MON),
                self.status(2, PSAKI, "released", TUE),
                self.status(3, SANCHEZ, "released", MON),
            ]
        )

        self.assertEqual({c.lane: c.claim_id for c in cells}, {PSAKI: 2, SANCHEZ: 3})
        self.assertTrue(all(c.disagrees_with == () for c in cells))

    def test_it_marks_a_contradiction_between_released_and_imprisoned(self):
        cells = charts.latest_statuses(
            [self.status(1, PSAKI, "released", TUE), self.status(2, SANCHEZ, "imprisoned", TUE)]
        )

        self.assertEqual(
            {c.lane: c.disagrees_with for c in cells},
            {PSAKI: ((SANCHEZ, "contradiction"),), SANCHEZ: ((PSAKI, "contradiction"),)},
        )

    def test_it_marks_a_gap_against_no_information(self):
        cells = charts.latest_statuses(
            [
                self.status(1, PSAKI, "released", TUE),
                self.status(2, SANCHEZ, "", TUE, rules.NO_INFORMATION),
            ]
        )

        self.assertEqual({c.lane: c.disagrees_with for c in cells}[PSAKI], ((SANCHEZ, "gap"),))

    def test_it_lets_released_and_parole_agree(self):
        cells = charts.latest_statuses(
            [
                self.status(1, PSAKI, "released", TUE),
                self.status(2, SANCHEZ, "conditional_release", TUE),
            ]
        )

        self.assertTrue(all(c.disagrees_with == () for c in cells))

    def test_it_ignores_positions(self):
        cells = charts.latest_statuses(
            [self.status(1, PSAKI, "released", MON), claim(2, RUBIO, "position")]
        )

        self.assertEqual([c.lane for c in cells], [PSAKI])
