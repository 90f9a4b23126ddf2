"""The Typer applications that make up the `nakip` command tree.

Each command module registers its commands on one of these objects; `main.py` imports them all,
so a new command group never needs to edit another group's module.
"""

from __future__ import annotations

import typer

from nakip.cli.command_group import NakipRootGroup

app = typer.Typer(
    name="nakip",
    cls=NakipRootGroup,
    help="NAKIP: protocol, design, data capture and reports for the NAKIP-AML trial.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
protocol_app = typer.Typer(help="Validate and summarise the protocol file.", no_args_is_help=True)
design_app = typer.Typer(
    help="Trial designs, monitoring rules and operating characteristics.", no_args_is_help=True
)
assess_app = typer.Typer(help="Apply the clinical rules to JSON records.", no_args_is_help=True)
db_app = typer.Typer(help="Database maintenance for the EDC.", no_args_is_help=True)
site_app = typer.Typer(help="Manage trial sites.", no_args_is_help=True)
user_app = typer.Typer(help="Manage EDC users and their roles.", no_args_is_help=True)

app.add_typer(protocol_app, name="protocol")
app.add_typer(design_app, name="design")
app.add_typer(assess_app, name="assess")
app.add_typer(db_app, name="db")
app.add_typer(site_app, name="site")
app.add_typer(user_app, name="user")
