import { Injectable, OnModuleDestroy } from '@nestjs/common';
import neo4j, { Driver } from 'neo4j-driver';

@Injectable()
export class GraphService implements OnModuleDestroy {
  private readonly driver: Driver = neo4j.driver(
    process.env.NEO4J_URI ?? 'bolt://localhost:7687',
    neo4j.auth.basic(process.env.NEO4J_USER ?? 'neo4j', process.env.NEO4J_PASSWORD ?? ''),
  );

  session() {
    return this.driver.session({ database: process.env.NEO4J_DATABASE });
  }

  async onModuleDestroy() {
    await this.driver.close();
  }
}
