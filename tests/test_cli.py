"""The ``follicle`` command line, end to end in a subprocess, and its refusals."""

from __future__ import annotations

import csv
import fcntl
import os
import struct
import subprocess
import sys

import numpy as np
import pytest

import follicle as fl
from follicle.models.cli import main
from follicle.models.readouts import first_anagen_onset


def follicle_cmd(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "follicle", *args],
        capture_output=True,
        encoding="utf-8",
        errors="replace",
        cwd=cwd,
        timeout=300,
    )


def read_csv(path):
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], np.array(rows[1:], dtype=float)


def read_sweep(text):
    """Header, numbers and status column of a sweep's CSV."""
    rows = list(csv.reader(text.splitlines()))
    return rows[0], np.array([r[:-1] for r in rows[1:]], dtype=float), [r[-1] for r in rows[1:]]


def test_scenarios_lists_every_scenario_with_its_title():
    done = follicle_cmd("scenarios")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == len(fl.models.SCENARIOS)
    for line, (name, scenario) in zip(lines, fl.models.SCENARIOS.items(), strict=True):
        assert line.startswith(name) and line.endswith(scenario.title)


def test_interventions_lists_every_intervention_with_a_unit(capsys):
    assert main(["interventions"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(fl.models.INTERVENTIONS)
    assert all(line.split()[1] in ("mg/kg", "on/off") for line in lines)


def test_run_with_a_dose_and_a_setting_writes_the_simulation(tmp_path):
    done = follicle_cmd(
        "run",
        "--days",
        "60",
        "--dose",
        "wnt_inhibitor:2 mg/kg@12,14,16",
        "--set",
        "tau_anagen=20 day",
        "--out",
        str(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    header, table = read_csv(tmp_path / "untreated.csv")
    schedule = fl.models.course("wnt_inhibitor", 12, 2.0, every="2 day", times=3)
    expected = fl.simulate(
        fl.models.coupled(), days=60, schedule=schedule, params={"tau_anagen": 20.0}
    )
    assert header[0] == "t [day]" and header[1:] == [
        f"{n} [{expected.unit(n)}]" for n in expected.names
    ]
    np.testing.assert_allclose(table[:, 0], expected.t)
    np.testing.assert_allclose(table[:, 1:].T, expected.values, rtol=1e-9, atol=1e-12)
    assert f"first anagen onset day {first_anagen_onset(expected):.1f}" in done.stdout
    assert (tmp_path / "untreated.png").read_bytes().startswith(b"\x89PNG")


def test_run_of_a_scenario_names_its_files_after_it(tmp_path):
    assert main(["run", "early_telogen_macrophage_apoptosis", "--out", str(tmp_path)]) == 0
    _, table = read_csv(tmp_path / "early_telogen_macrophage_apoptosis.csv")
    assert table[-1, 0] == fl.models.scenario("early_telogen_macrophage_apoptosis").days
    assert (tmp_path / "early_telogen_macrophage_apoptosis.png").exists()


def test_sweep_of_the_wnt_inhibitor_dose_delays_onset_more_with_dose(tmp_path):
    out = tmp_path / "delay.csv"
    done = follicle_cmd(
        "sweep",
        "macrophage_wnt_inhibition",
        "wnt_inhibitor.amount",
        "0:3:3 mg/kg",
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    header, table, status = read_sweep(out.read_text(encoding="utf-8"))
    assert header == ["wnt_inhibitor.amount [mg/kg]", "anagen_onset", "status"]
    # stderr may hold the one-line note of a first compilation, but no progress bar
    others = [line for line in done.stderr.splitlines() if "compiling the integrator" not in line]
    assert status == ["ok"] * 3 and not others, "no progress bar when stderr is a pipe"
    np.testing.assert_allclose(table[:, 0], [0.0, 1.5, 3.0])
    assert np.all(np.diff(table[:, 1]) > 0), table
    scenario = fl.models.scenario("macrophage_wnt_inhibition")
    # Python speaks the command line's words: the same axis, the same readout column.
    engine = scenario.sweep({"wnt_inhibitor.amount": [0.0, 1.5, 3.0]}, fl.models.anagen_onset)
    np.testing.assert_allclose(table[:, 1], engine["anagen_onset"], rtol=1e-9)
    # The sweep's crossing is found on the step interpolant, simulate's on its output grid.
    assert table[2, 1] == pytest.approx(
        first_anagen_onset(scenario.with_doses("wnt_inhibitor", 3.0).run()), abs=1e-3
    )


def test_sweep_of_a_parameter_with_a_unit_and_another_readout(capsys):
    args = [
        "sweep",
        "early_telogen_macrophage_apoptosis",
        "tau_anagen",
        "12,24 day",
        "--readout",
        "mean:anagen",
        "--no-progress",
    ]
    assert main(args) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0] == "tau_anagen [day],mean:anagen,status"
    means = [float(row.split(",")[1]) for row in rows[1:]]
    assert means[1] > means[0], "longer anagen, more time in anagen"


def test_sweep_of_a_seeded_latin_hypercube_over_two_axes():
    done = follicle_cmd(
        "sweep",
        "ageing",
        "k_CA",
        "20:40",
        "tau_anagen",
        "12:24 day",
        "--sample",
        "lhs:8",
        "--seed",
        "1",
        "--readout",
        "mean:anagen",
    )
    assert done.returncode == 0, done.stderr
    header, table, status = read_sweep(done.stdout)
    assert header == ["k_CA [1/day]", "tau_anagen [day]", "mean:anagen", "status"]
    assert status == ["ok"] * 8
    design = fl.latin_hypercube({"k_CA": (20, 40), "tau_anagen": (12, 24)}, 8, seed=1)
    np.testing.assert_allclose(table[:, :2], design.values, rtol=1e-9)
    assert sorted(np.floor((table[:, 1] - 12) / 1.5)) == list(range(8)), "one per stratum"


def test_sweep_over_a_grid_of_two_axes_lists_members_last_axis_fastest(capsys):
    args = [
        "sweep",
        "early_telogen_macrophage_apoptosis",
        "tau_anagen",
        "12,24",
        "k_CA",
        "20,30,40",
        "--readout",
        "mean:anagen",
        "--no-progress",
    ]
    assert main(args) == 0
    header, table, _ = read_sweep(capsys.readouterr().out)
    assert header[:2] == ["tau_anagen [day]", "k_CA [1/day]"]
    np.testing.assert_array_equal(
        table[:, :2], [[12, 20], [12, 30], [12, 40], [24, 20], [24, 30], [24, 40]]
    )
    assert np.all(table[3:, 2] > table[:3, 2]), "longer anagen, more time in anagen"


def stderr_on_a_terminal(*args):
    """Run the command with its standard error on a pseudo-terminal; return what it wrote."""
    pty = pytest.importorskip("pty")
    termios = pytest.importorskip("termios")
    primary, terminal = pty.openpty()
    rows_columns = struct.pack("HHHH", 24, 100, 0, 0)  # a new one has no size: no room for a bar
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, rows_columns)
    done = subprocess.run(
        [sys.executable, "-m", "follicle", *args],
        stdout=subprocess.PIPE,
        stderr=terminal,
        timeout=300,
    )
    os.close(terminal)
    written = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the terminal is closed and drained
            break
        if not chunk:
            break
        written += chunk
    os.close(primary)
    assert done.returncode == 0
    return written.decode("utf-8", errors="replace")


def test_sweep_shows_a_progress_bar_on_a_terminal_unless_told_not_to():
    pytest.importorskip("tqdm")
    args = ["sweep", "macrophage_wnt_inhibition", "wnt_inhibitor.amount", "0,1", "--days", "30"]
    assert "sweep:   0%|" in stderr_on_a_terminal(*args)  # a bar over the two members
    assert stderr_on_a_terminal(*args, "--no-progress") == ""


def test_export_sbml_writes_a_document(tmp_path):
    pytest.importorskip("libsbml")
    out = tmp_path / "abt737.xml"
    done = follicle_cmd("export-sbml", "abt737_after_induction", "-o", str(out))
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert text.startswith("<?xml") and "<sbml" in text
    scenario = fl.models.scenario("abt737_after_induction")
    assert text == fl.sbml.export(fl.models.coupled(), scenario.schedule)


@pytest.mark.parametrize("command", [[], ["scenarios"], ["run"], ["sweep"], ["export-sbml"]])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as stop:
        main([*command, "--help"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.startswith("usage: follicle")


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["frobnicate"], 2, "invalid choice: 'frobnicate'"),
        (["run", "--dose", "wnt_inhibitor@3"], 2, "write NAME:AMOUNT@DAY"),
        (["run", "no_such_scenario"], 1, "unknown scenario 'no_such_scenario'"),
        (["run", "--set", "tau_anagen=20 kg"], 1, "parameter 'tau_anagen'"),
    ],
)
def test_bad_input_in_a_subprocess_is_one_line_and_no_traceback(args, code, says, tmp_path):
    done = follicle_cmd(*args, cwd=tmp_path)
    assert done.returncode == code
    assert done.stderr.count("\n") == 1 and says in done.stderr, done.stderr
    assert done.stderr.startswith("follicle: error: ")
    assert not list(tmp_path.iterdir()), "nothing is written when the input is refused"


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        ([], 2, "required: COMMAND"),
        (["run", "--days"], 2, "expected one argument"),
        (["run", "--set", "tau_anagen"], 2, "write PARAM=VALUE"),
        (["run", "--induce", "21"], 2, "write START:STOP"),
        (["run", "--set", "tau_anagen=500"], 1, "outside its allowed range [10, 25] day"),
        (["run", "--set", "tau_anagn=20"], 1, "Did you mean 'tau_anagen'"),
        (["run", "--dose", "wnt:2@3"], 1, "unknown intervention 'wnt'"),
        (["run", "--dose", "senolytic:1 day@3"], 1, "expected unit is mg/kg"),
        (["run", "--days", "-5"], 1, "empty or reversed"),
        (["sweep", "ageing", "k_CA", "1:x:3"], 2, "write START:STOP:N"),
        (["sweep", "ageing", "k_CA", "1,2", "--readout", "median:W"], 2, "choose anagen_onset"),
        (["sweep", "ageing", "senolytic.time", "1,2"], 2, "DRUG.amount"),
        (["sweep", "ageing", "senolytic.amount", "1,2"], 1, "gives no dose of 'senolytic'"),
        (["sweep", "ageing", "k_CA", "1000,2000"], 1, "parameter 'k_CA' = 1000"),
        (["sweep", "ageing", "k_CA"], 2, "give every AXIS its VALUES"),
        (["sweep", "ageing", "k_CA", "20,30", "k_CA", "40"], 2, "axis 'k_CA' is given twice"),
        (["sweep", "ageing", "k_XX", "1,2"], 1, "unknown sweep axis"),
        (["sweep", "ageing", "k_CA", "20:40", "--sample", "lhs"], 2, "write lhs:N or sobol:N"),
        (["sweep", "ageing", "k_CA", "20:40:3", "--sample", "lhs:4"], 2, "write LOW:HIGH"),
        (["sweep", "ageing", "k_CA", "40:20", "--sample", "lhs:4"], 2, "LOW < HIGH"),
        (["sweep", "ageing", "k_CA", "20:40", "--sample", "sobol:6"], 1, "powers of two"),
        (["sweep", "ageing", "k_CA", "20:5000", "--sample", "lhs:4"], 1, "'k_CA' = 5000"),
        (["export-sbml", "ageing"], 2, "required: -o/--output"),
    ],
)
def test_bad_input_exits_with_its_code_and_says_why(
    args, code, says, capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    assert main(args) == code
    err = capsys.readouterr().err
    assert err.startswith("follicle: error: ") and err.count("\n") == 1, err
    assert says in err, err
